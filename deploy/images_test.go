package deploy_test

import (
	"encoding/json"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// listenVar is the address variable each server binary (a main package at
// the repository root) serves /livez, /readyz and /metrics on.
var listenVar = map[string]string{
	"api":       "APISCOUT_HTTP_ADDR",
	"worker":    "APISCOUT_WORKER_ADMIN_ADDR",
	"scheduler": "APISCOUT_SCHEDULER_ADMIN_ADDR",
}

// image is what a Dockerfile builds, read as data.
type image struct {
	dockerfile string
	// installed maps a path in the final image to the binary (its main
	// package's folder name) built into it.
	installed  map[string]string
	entrypoint []string
	env        map[string]string
	expose     []string
}

var (
	goBuild  = regexp.MustCompile(`\bgo build\b.*\s-o\s+(\S+)\s+\./(\S+)`)
	copyFrom = regexp.MustCompile(`^COPY\s+--from=\S+\s+(\S+)\s+(\S+)$`)
)

// loadImage reads a Dockerfile: the binaries its build stage compiles (each
// a main package of this module), the ones copied into the final image, its
// ENTRYPOINT, ENV and EXPOSE.
func loadImage(t *testing.T, dockerfile string) image {
	t.Helper()
	data, err := os.ReadFile(repoFile(dockerfile))
	require.NoError(t, err)
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	img := image{dockerfile: dockerfile, installed: map[string]string{}, env: map[string]string{}}
	built := map[string]string{} // build-stage path -> binary
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "RUN":
			if m := goBuild.FindStringSubmatch(rest); m != nil {
				pkg := strings.TrimSuffix(m[2], "/")
				requireMainPackage(t, dockerfile, pkg)
				built[m[1]] = path.Base(pkg)
			}
		case "COPY":
			if m := copyFrom.FindStringSubmatch(line); m != nil {
				bin, ok := built[m[1]]
				require.True(t, ok, "%s copies %s, which no go build before it writes", dockerfile, m[1])
				img.installed[m[2]] = bin
			}
		case "ENTRYPOINT":
			require.NoError(t, json.Unmarshal([]byte(rest), &img.entrypoint), "%s ENTRYPOINT: the exec (JSON) form", dockerfile)
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, ok := strings.Cut(kv, "=")
				require.True(t, ok, "%s ENV %s: want KEY=value", dockerfile, kv)
				img.env[k] = v
			}
		case "EXPOSE":
			img.expose = append(img.expose, strings.Fields(rest)...)
		}
	}
	require.NotEmpty(t, img.installed, "%s installs no binary", dockerfile)
	require.NotEmpty(t, img.entrypoint, "%s has no ENTRYPOINT", dockerfile)
	return img
}

// requireMainPackage fails unless dir (relative to the repository root) is
// a main package with a main function.
func requireMainPackage(t *testing.T, where, dir string) {
	t.Helper()
	files, err := filepath.Glob(repoFile(filepath.FromSlash(dir), "*.go"))
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		if regexp.MustCompile(`(?m)^package main$`).Match(src) && regexp.MustCompile(`(?m)^func main\(\)`).Match(src) {
			return
		}
	}
	t.Fatalf("%s builds ./%s, which is not a main package", where, dir)
}

// binary returns the binary a container runs: its command (compose
// entrypoint, Kubernetes command) or else the image's ENTRYPOINT, which must
// be a binary the image installs.
func (img image) binary(t *testing.T, where string, command []any) string {
	t.Helper()
	run := img.entrypoint[0]
	if len(command) > 0 {
		run = str(t, command[0], where+" command")
	}
	bin, ok := img.installed[run]
	require.True(t, ok, "%s runs %s, which %s does not install (it has %v)", where, run, img.dockerfile, img.installed)
	return bin
}

// requireServes fails unless addr listens beyond the container's loopback
// (probes and Prometheus come from outside) and returns its port.
func requireServes(t *testing.T, where, variable, addr string) string {
	t.Helper()
	require.NotEmpty(t, addr, "%s: %s is unset, so it listens on 127.0.0.1 only", where, variable)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err, "%s: %s=%s", where, variable, addr)
	require.NotContains(t, []string{"127.0.0.1", "localhost", "::1"}, host, "%s: %s=%s answers only inside the container", where, variable, addr)
	return port
}

var images = []string{"Dockerfile.api", "Dockerfile.worker"}

// TestImagesCarryEveryServer: every server binary of the repository is built
// into an image, which listens where probes can reach it by default.
func TestImagesCarryEveryServer(t *testing.T) {
	t.Parallel()
	// The server binaries are the main packages at the repository root.
	entries, err := os.ReadDir(repoFile())
	require.NoError(t, err)
	var servers []string
	for _, e := range entries {
		if _, err := os.Stat(repoFile(e.Name(), "main.go")); e.IsDir() && err == nil {
			servers = append(servers, e.Name())
		}
	}
	slices.Sort(servers)
	require.Equal(t, []string{"api", "scheduler", "worker"}, servers, "a new server binary needs a listen variable here and a place in an image")

	in := map[string]string{}
	for _, df := range images {
		img := loadImage(t, df)
		img.binary(t, df+" ENTRYPOINT", nil)
		for dst, bin := range img.installed {
			require.Equal(t, "/usr/local/bin/"+bin, dst, "%s: binaries go to /usr/local/bin under their own name", df)
			require.NotContains(t, in, bin, "%s is in %s and %s", bin, in[bin], df)
			in[bin] = df
			variable, ok := listenVar[bin]
			require.True(t, ok, "%s installs %s, which is no server binary", df, bin)
			port := requireServes(t, df, variable, img.env[variable])
			require.Contains(t, img.expose, port, "%s: EXPOSE %s (%s's %s)", df, port, bin, variable)
		}
	}
	for _, s := range servers {
		require.Contains(t, in, s, "no image builds %s", s)
	}
	require.Equal(t, "Dockerfile.worker", in["scheduler"], "the scheduler ships in the worker image")
}

// composeImage maps compose image names (without tag) to the Dockerfile
// that builds them.
func composeImages(t *testing.T, services map[string]*composeService) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, svc := range services {
		b, ok := svc.raw["build"].(map[string]any)
		if !ok {
			continue
		}
		df := str(t, b["dockerfile"], name+" dockerfile")
		img, _, _ := strings.Cut(str(t, svc.raw["image"], name+" image"), ":")
		if prev, ok := out[img]; ok {
			require.Equal(t, prev, df, "image %s is built from two Dockerfiles", img)
		}
		out[img] = df
	}
	return out
}

// scrapeTargets are the host:port pairs Prometheus scrapes.
func scrapeTargets(t *testing.T) map[string]string {
	t.Helper()
	cfg := readYAML(t, repoFile(monitoring, "prometheus/prometheus.yml"))[0]
	out := map[string]string{}
	for _, sc := range list(t, cfg["scrape_configs"], "scrape_configs") {
		job := obj(t, sc, "scrape config")
		name := str(t, job["job_name"], "job_name")
		if s, ok := job["static_configs"]; ok {
			for _, c := range list(t, s, name+" static_configs") {
				for _, tg := range list(t, obj(t, c, name+" static config")["targets"], name+" targets") {
					out[str(t, tg, name+" target")] = name
				}
			}
		}
		if s, ok := job["dns_sd_configs"]; ok {
			for _, c := range list(t, s, name+" dns_sd_configs") {
				sd := obj(t, c, name+" dns sd")
				for _, n := range list(t, sd["names"], name+" names") {
					out[net.JoinHostPort(str(t, n, name+" name"), toString(sd["port"]))] = name
				}
			}
		}
	}
	return out
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

// TestComposeRunsBinaries: each apiscout service runs a binary its image
// installs, checks its health with that same binary, listens beyond
// loopback, and is scraped by the monitoring profile's Prometheus.
func TestComposeRunsBinaries(t *testing.T) {
	t.Parallel()
	_, services := loadCompose(t)
	builtFrom := composeImages(t, services)
	targets := scrapeTargets(t)
	ran := map[string]bool{}
	for name, svc := range services {
		if _, ok := svc.raw["build"]; !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			img, _, _ := strings.Cut(str(t, svc.raw["image"], name+" image"), ":")
			image := loadImage(t, builtFrom[img])
			var entry []any
			if e, ok := svc.raw["entrypoint"]; ok {
				entry = list(t, e, name+" entrypoint")
			}
			bin := image.binary(t, name, entry)
			ran[bin] = true

			hc := list(t, obj(t, svc.raw["healthcheck"], name+" healthcheck")["test"], name+" healthcheck test")
			require.GreaterOrEqual(t, len(hc), 3, "%s healthcheck: [CMD, binary, healthcheck]", name)
			require.Equal(t, "CMD", hc[0])
			require.Equal(t, bin, image.installed[str(t, hc[1], "healthcheck binary")], "%s: its healthcheck probes the binary it runs", name)
			require.Equal(t, "healthcheck", hc[2])

			variable := listenVar[bin]
			addr, ok := svc.env[variable]
			if ok {
				addr, _ = resolve(addr)
			} else {
				addr = image.env[variable]
			}
			port := requireServes(t, name, variable, addr)
			require.Contains(t, targets, net.JoinHostPort(name, port), "Prometheus does not scrape %s on %s", name, port)
		})
	}
	for bin := range listenVar {
		require.True(t, ran[bin], "no compose service runs %s", bin)
	}
}

// TestKubernetesRunsBinaries: each Deployment runs a binary its image (built
// by the Dockerfile compose builds it with) installs, and its probes and
// scrape annotation use the port that binary listens on.
func TestKubernetesRunsBinaries(t *testing.T) {
	t.Parallel()
	_, res := loadKustomization(t)
	_, services := loadCompose(t)
	builtFrom := composeImages(t, services)
	env := settings(t, res)
	ran := map[string]bool{}
	for key, m := range res {
		if m.kind() != "Deployment" {
			continue
		}
		t.Run(m.name(), func(t *testing.T) {
			tmpl := obj(t, obj(t, m.doc["spec"], key+" spec")["template"], key+" template")
			c := obj(t, list(t, obj(t, tmpl["spec"], key+" pod spec")["containers"], key+" containers")[0], key+" container")
			name := str(t, c["image"], key+" image")
			df, ok := builtFrom[name]
			require.True(t, ok, "%s: image %s is not one docker-compose.yml builds", key, name)
			image := loadImage(t, df)
			var command []any
			if cmd, ok := c["command"]; ok {
				command = list(t, cmd, key+" command")
			}
			bin := image.binary(t, key, command)
			ran[bin] = true

			variable := listenVar[bin]
			addr, ok := env[variable]
			if !ok {
				addr = image.env[variable]
			}
			port := requireServes(t, key, variable, addr)
			ports := list(t, c["ports"], key+" ports")
			require.Len(t, ports, 1)
			require.Equal(t, port, toString(obj(t, ports[0], key+" port")["containerPort"]), "%s: containerPort is where %s listens (%s)", key, bin, variable)
			ann := obj(t, obj(t, tmpl["metadata"], key+" metadata")["annotations"], key+" annotations")
			require.Equal(t, port, ann["prometheus.io/port"], key)
		})
	}
	for bin := range listenVar {
		require.True(t, ran[bin], "no Deployment runs %s", bin)
	}
}
