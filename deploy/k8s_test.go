package deploy_test

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/config"
)

// The manifests are checked in Go rather than with `kubectl kustomize`:
// kubectl may contact a cluster (its kubeconfig's, or 127.0.0.1:8080) while
// building, and tests send no packets off this machine.

const k8s = "deploy/k8s"

type manifest struct {
	file string
	doc  map[string]any
}

func (m manifest) kind() string { return m.doc["kind"].(string) }
func (m manifest) name() string {
	return m.doc["metadata"].(map[string]any)["name"].(string)
}

// loadKustomization reads kustomization.yaml and every resource it lists.
func loadKustomization(t *testing.T) (map[string]any, map[string]manifest) {
	t.Helper()
	kust := readYAML(t, repoFile(k8s, "kustomization.yaml"))[0]
	require.Equal(t, "Kustomization", kust["kind"])
	byKey := map[string]manifest{}
	var listed []string
	for _, r := range list(t, kust["resources"], "resources") {
		file := str(t, r, "resource")
		listed = append(listed, file)
		for _, doc := range readYAML(t, repoFile(k8s, file)) {
			require.NotEmpty(t, doc["apiVersion"], file)
			require.NotEmpty(t, doc["kind"], file)
			meta := obj(t, doc["metadata"], file+" metadata")
			require.NotEmpty(t, meta["name"], file)
			require.Nil(t, meta["namespace"], "%s: the base sets no namespace (an overlay does)", file)
			m := manifest{file: file, doc: doc}
			key := m.kind() + "/" + m.name()
			require.NotContains(t, byKey, key, "%s twice", key)
			byKey[key] = m
		}
	}
	// Every manifest in the folder is part of the base.
	files, err := filepath.Glob(repoFile(k8s, "*.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" {
			require.Contains(t, listed, base, "%s is not in kustomization.yaml's resources", base)
		}
	}
	return kust, byKey
}

// settings are the APISCOUT_* values every process gets: the ConfigMap and
// the Secret.
func settings(t *testing.T, res map[string]manifest) map[string]string {
	t.Helper()
	env := map[string]string{}
	for k, v := range obj(t, res["ConfigMap/apiscout-config"].doc["data"], "configmap data") {
		env[k] = str(t, v, k)
	}
	for k, v := range obj(t, res["Secret/apiscout-secrets"].doc["stringData"], "secret stringData") {
		require.NotContains(t, env, k, "%s in both the ConfigMap and the Secret", k)
		env[k] = str(t, v, k)
	}
	return env
}

func TestKubernetesBase(t *testing.T) {
	t.Parallel()
	kust, res := loadKustomization(t)
	for _, want := range []string{
		"ConfigMap/apiscout-config", "Secret/apiscout-secrets",
		"Deployment/apiscout-api", "Service/apiscout-api", "Deployment/apiscout-worker", "Deployment/apiscout-scheduler",
	} {
		require.Contains(t, res, want)
	}
	for key := range res {
		kind := strings.Split(key, "/")[0]
		require.NotContains(t, []string{"StatefulSet"}, kind, "%s: Redis and MongoDB are referenced, not deployed", key)
	}

	// The settings are variables shared/config reads, with values it accepts.
	env := settings(t, res)
	known := map[string]bool{}
	for _, v := range config.Vars {
		known[config.Prefix+v.Name] = true
	}
	for k := range env {
		require.True(t, known[k], "%s is not a variable shared/config reads", k)
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.NoError(t, cfg.RequireServices())
	require.Contains(t, env["APISCOUT_MONGO_URI"], "replicaSet=", "MongoDB is a replica set")
	require.Equal(t, config.QueueMetricsScheduler, cfg.QueueMetrics, "the single scheduler replica exports the queue metrics")
	for _, secret := range []string{"APISCOUT_REDIS_URL", "APISCOUT_MONGO_URI", "APISCOUT_ADMIN_PASSWORD"} {
		require.NotContains(t, obj(t, res["ConfigMap/apiscout-config"].doc["data"], "data"), secret, "secrets belong in the Secret")
	}

	images := map[string]bool{}
	for _, i := range list(t, kust["images"], "images") {
		images[str(t, obj(t, i, "image")["name"], "image name")] = true
	}
	portOf := func(addr string) int {
		_, p, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		var n int
		_, err = fmt.Sscan(p, &n)
		require.NoError(t, err)
		return n
	}
	deployments := map[string]struct {
		image, port string
		listen      int
	}{
		"apiscout-api":       {"apiscout-api", "http", portOf(cfg.HTTPAddr)},
		"apiscout-worker":    {"apiscout-worker", "admin", portOf(cfg.WorkerAdminAddr)},
		"apiscout-scheduler": {"apiscout-worker", "admin", portOf(cfg.SchedulerAdminAddr)},
	}
	for name, want := range deployments {
		t.Run(name, func(t *testing.T) {
			d := res["Deployment/"+name].doc
			spec := obj(t, d["spec"], name+" spec")
			selector := obj(t, obj(t, spec["selector"], "selector")["matchLabels"], "matchLabels")
			tmpl := obj(t, spec["template"], "template")
			labels := obj(t, obj(t, tmpl["metadata"], "template metadata")["labels"], "template labels")
			for k, v := range selector {
				require.Equal(t, v, labels[k], "selector %s", k)
			}
			pod := obj(t, tmpl["spec"], "pod spec")
			grace := time.Duration(pod["terminationGracePeriodSeconds"].(int)) * time.Second
			require.Greater(t, grace, cfg.ShutdownTimeout, "terminationGracePeriodSeconds above APISCOUT_SHUTDOWN_TIMEOUT")

			containers := list(t, pod["containers"], "containers")
			require.Len(t, containers, 1)
			c := obj(t, containers[0], "container")
			require.Equal(t, want.image, c["image"])
			require.True(t, images[want.image], "kustomization images lacks %s", want.image)
			var refs []string
			for _, ef := range list(t, c["envFrom"], "envFrom") {
				e := obj(t, ef, "envFrom")
				if r, ok := e["configMapRef"]; ok {
					refs = append(refs, "ConfigMap/"+str(t, obj(t, r, "ref")["name"], "name"))
				}
				if r, ok := e["secretRef"]; ok {
					refs = append(refs, "Secret/"+str(t, obj(t, r, "ref")["name"], "name"))
				}
			}
			require.ElementsMatch(t, []string{"ConfigMap/apiscout-config", "Secret/apiscout-secrets"}, refs)
			require.Nil(t, c["env"], "settings come from the ConfigMap and Secret only")

			ports := list(t, c["ports"], "ports")
			require.Len(t, ports, 1)
			port := obj(t, ports[0], "port")
			require.Equal(t, want.port, port["name"])
			require.Equal(t, want.listen, port["containerPort"], "the port the process listens on")
			ann := obj(t, obj(t, tmpl["metadata"], "metadata")["annotations"], "annotations")
			require.Equal(t, fmt.Sprint(want.listen), ann["prometheus.io/port"])

			probes := map[string]string{"livenessProbe": "/livez", "readinessProbe": "/readyz", "startupProbe": "/livez"}
			for probe, path := range probes {
				get := obj(t, obj(t, c[probe], probe)["httpGet"], probe+" httpGet")
				require.Equal(t, path, get["path"], probe)
				require.Equal(t, want.port, get["port"], probe)
			}
			sc := obj(t, c["securityContext"], "securityContext")
			require.Equal(t, false, sc["allowPrivilegeEscalation"])
			require.Equal(t, true, obj(t, pod["securityContext"], "pod securityContext")["runAsNonRoot"])
			limits := obj(t, obj(t, c["resources"], "resources")["limits"], "limits")
			require.NotEmpty(t, limits["memory"])
		})
	}

	sched := obj(t, res["Deployment/apiscout-scheduler"].doc["spec"], "scheduler spec")
	require.Equal(t, 1, sched["replicas"], "one scheduler")
	require.Equal(t, "Recreate", obj(t, sched["strategy"], "strategy")["type"], "never two schedulers during a rollout")
	c := obj(t, list(t, obj(t, obj(t, sched["template"], "template")["spec"], "spec")["containers"], "containers")[0], "container")
	require.Equal(t, []any{"/usr/local/bin/scheduler"}, c["command"])

	svc := obj(t, res["Service/apiscout-api"].doc["spec"], "service spec")
	apiLabels := obj(t, obj(t, obj(t, obj(t, res["Deployment/apiscout-api"].doc["spec"], "spec")["template"], "t")["metadata"], "m")["labels"], "labels")
	for k, v := range obj(t, svc["selector"], "service selector") {
		require.Equal(t, v, apiLabels[k], "service selector %s", k)
	}
	require.Equal(t, "http", obj(t, list(t, svc["ports"], "ports")[0], "port")["targetPort"])
	pdb := obj(t, obj(t, res["PodDisruptionBudget/apiscout-api"].doc["spec"], "pdb spec")["selector"], "pdb selector")
	for k, v := range obj(t, pdb["matchLabels"], "pdb matchLabels") {
		require.Equal(t, v, apiLabels[k], "disruption budget selector %s", k)
	}
}
