package deploy_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/config"
)

// composeService is what the tests read of one compose service.
type composeService struct {
	name     string
	raw      map[string]any
	env      map[string]string
	profiles []string
}

var interpolation = regexp.MustCompile(`\$\{(\w+)(:?-([^}]*))?\}`)

// resolve applies compose interpolation with every variable unset: ${X:-d}
// becomes d. It returns the referenced variable names too.
func resolve(v string) (string, []string) {
	var refs []string
	out := interpolation.ReplaceAllStringFunc(v, func(m string) string {
		sm := interpolation.FindStringSubmatch(m)
		refs = append(refs, sm[1])
		return sm[3]
	})
	return out, refs
}

func loadCompose(t *testing.T) (map[string]any, map[string]*composeService) {
	t.Helper()
	doc := readYAML(t, repoFile("docker-compose.yml"))[0]
	services := map[string]*composeService{}
	for name, s := range obj(t, doc["services"], "services") {
		raw := obj(t, s, name)
		svc := &composeService{name: name, raw: raw, env: map[string]string{}}
		if e, ok := raw["environment"]; ok {
			for k, v := range obj(t, e, name+" environment") {
				if v != nil {
					svc.env[k] = fmt.Sprint(v)
				} else {
					svc.env[k] = ""
				}
			}
		}
		if p, ok := raw["profiles"]; ok {
			for _, x := range list(t, p, name+" profiles") {
				svc.profiles = append(svc.profiles, str(t, x, name+" profile"))
			}
		}
		services[name] = svc
	}
	return doc, services
}

func dependsOn(t *testing.T, svc *composeService) []string {
	t.Helper()
	var out []string
	switch d := svc.raw["depends_on"].(type) {
	case nil:
	case []any:
		for _, x := range d {
			out = append(out, str(t, x, svc.name+" depends_on"))
		}
	case map[string]any:
		for k := range d {
			out = append(out, k)
		}
	default:
		t.Fatalf("%s depends_on: %T", svc.name, d)
	}
	return out
}

// TestComposeFile checks what `docker compose --profile monitoring config`
// would: valid YAML, references between services, volumes and files; and
// that apiscout's variables are ones shared/config reads, with values it
// accepts.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	doc, services := loadCompose(t)
	topVolumes := map[string]bool{}
	if v, ok := doc["volumes"]; ok {
		for name := range obj(t, v, "volumes") {
			topVolumes[name] = true
		}
	}
	known := map[string]bool{}
	for _, v := range config.Vars {
		known[config.Prefix+v.Name] = true
	}
	usedVolumes := map[string]bool{}
	for name, svc := range services {
		_, hasImage := svc.raw["image"]
		_, hasBuild := svc.raw["build"]
		require.True(t, hasImage || hasBuild, "%s: image or build", name)
		for _, dep := range dependsOn(t, svc) {
			target, ok := services[dep]
			require.True(t, ok, "%s depends on unknown service %s", name, dep)
			if len(target.profiles) > 0 {
				for _, p := range target.profiles {
					require.Contains(t, svc.profiles, p, "%s (profiles %v) depends on %s, only in profile %s", name, svc.profiles, dep, p)
				}
			}
		}
		if vols, ok := svc.raw["volumes"]; ok {
			for _, v := range list(t, vols, name+" volumes") {
				spec := str(t, v, name+" volume")
				src, _, ok := strings.Cut(spec, ":")
				require.True(t, ok, "%s: volume %q", name, spec)
				if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
					_, err := os.Stat(repoFile(filepath.FromSlash(src)))
					require.NoError(t, err, "%s mounts %s", name, src)
					continue
				}
				require.True(t, topVolumes[src], "%s: named volume %s is not declared", name, src)
				usedVolumes[src] = true
			}
		}
		if b, ok := svc.raw["build"].(map[string]any); ok {
			_, err := os.Stat(repoFile(str(t, b["dockerfile"], name+" dockerfile")))
			require.NoError(t, err, name)
		}

		// apiscout's variables: known, interpolations resolved, and a
		// configuration config.Load accepts.
		env := map[string]string{}
		for k, v := range svc.env {
			val, refs := resolve(v)
			for _, ref := range refs {
				if strings.HasPrefix(ref, config.Prefix) {
					require.True(t, known[ref], "%s interpolates unknown %s", name, ref)
				}
			}
			if strings.HasPrefix(k, config.Prefix) {
				require.True(t, known[k], "%s sets %s, which shared/config does not read (config.Vars)", name, k)
				env[k] = val
			}
		}
		if len(env) == 0 {
			continue
		}
		cfg, err := config.Load(func(k string) string { return env[k] })
		require.NoError(t, err, "%s: its APISCOUT_* values", name)
		require.NoError(t, cfg.RequireServices(), name)
		if g, ok := svc.raw["stop_grace_period"]; ok {
			grace, err := time.ParseDuration(str(t, g, name+" stop_grace_period"))
			require.NoError(t, err)
			require.Greater(t, grace, cfg.ShutdownTimeout, "%s: stop_grace_period must exceed APISCOUT_SHUTDOWN_TIMEOUT", name)
		}
	}
	for v := range topVolumes {
		require.True(t, usedVolumes[v], "volume %s is declared but unused", v)
	}
}

// TestComposeMonitoringProfile checks the monitoring profile against the
// Prometheus and Grafana files it mounts.
func TestComposeMonitoringProfile(t *testing.T) {
	t.Parallel()
	_, services := loadCompose(t)
	for _, name := range []string{"prometheus", "grafana"} {
		require.Contains(t, services, name)
		require.Equal(t, []string{"monitoring"}, services[name].profiles, name)
	}
	for _, name := range []string{"api", "worker", "redis", "mongo"} {
		require.Empty(t, services[name].profiles, "%s runs without a profile", name)
	}

	// Scrape targets are compose services on the ports their APISCOUT_*
	// addresses listen on.
	cfg := readYAML(t, repoFile(monitoring, "prometheus/prometheus.yml"))[0]
	listenPort := func(svc, variable string) string {
		addr, _ := resolve(services[svc].env[variable])
		require.NotEmpty(t, addr, "%s sets %s (the default listens on 127.0.0.1 only)", svc, variable)
		_, port, err := net.SplitHostPort(addr)
		require.NoError(t, err, "%s %s", svc, variable)
		return port
	}
	apiPort := listenPort("api", "APISCOUT_HTTP_ADDR")
	workerPort := listenPort("worker", "APISCOUT_WORKER_ADMIN_ADDR")
	for _, sc := range list(t, cfg["scrape_configs"], "scrape_configs") {
		job := obj(t, sc, "scrape config")
		switch job["job_name"] {
		case "apiscout-api":
			targets := list(t, obj(t, list(t, job["static_configs"], "static_configs")[0], "static")["targets"], "targets")
			require.Equal(t, []any{"api:" + apiPort}, targets)
		case "apiscout-worker":
			sd := obj(t, list(t, job["dns_sd_configs"], "dns_sd_configs")[0], "dns sd")
			require.Equal(t, []any{"worker"}, sd["names"])
			require.Equal(t, workerPort, fmt.Sprint(sd["port"]))
		}
	}
	require.Equal(t, "api", services["api"].env["APISCOUT_QUEUE_METRICS"], "the API exports the queue metrics Prometheus scrapes")
	require.NotContains(t, services["worker"].env, "APISCOUT_QUEUE_METRICS", "workers never export them")

	// Grafana: provisioning and dashboards mounted where the provider looks.
	mounts := map[string]string{}
	for _, v := range list(t, services["grafana"].raw["volumes"], "grafana volumes") {
		src, dst, _ := strings.Cut(str(t, v, "grafana volume"), ":")
		mounts[strings.TrimSuffix(dst, ":ro")] = src
	}
	require.Equal(t, "./deploy/monitoring/grafana/provisioning", mounts["/etc/grafana/provisioning"])
	provider := obj(t, list(t, readYAML(t, repoFile(monitoring, "grafana/provisioning/dashboards/apiscout.yml"))[0]["providers"], "providers")[0], "provider")
	path := str(t, obj(t, provider["options"], "provider options")["path"], "provider path")
	require.Equal(t, "./deploy/monitoring/grafana/dashboards", mounts[path], "the dashboard provider reads %s", path)
	prom := map[string]string{}
	for _, v := range list(t, services["prometheus"].raw["volumes"], "prometheus volumes") {
		src, dst, _ := strings.Cut(str(t, v, "prometheus volume"), ":")
		prom[strings.TrimSuffix(dst, ":ro")] = src
	}
	require.Equal(t, "./deploy/monitoring/prometheus", prom["/etc/prometheus"])
	require.True(t, slices.Contains(dependsOn(t, services["grafana"]), "prometheus"))
}
