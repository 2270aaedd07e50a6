package launch_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/app/launch"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// binDir holds elmo-web and elmo-worker built for the tests.
var binDir string

func TestMain(m *testing.M) {
	deploytest.Main(m, func(bins map[string]string) { binDir = filepath.Dir(bins["elmo-web"]) },
		"github.com/elmohq/telemetry/cmd/elmo-web",
		"github.com/elmohq/telemetry/cmd/elmo-worker")
}

// isolate gives the test process, whose environment Run passes on, a
// temporary home and no opt-out of its own, and returns the deployment
// directory.
func isolate(t *testing.T) string {
	root := t.TempDir()
	t.Setenv("HOME", filepath.Join(root, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(root, "config"))
	t.Setenv("ELMO_DIR", "")
	t.Setenv("DISABLE_TELEMETRY", "")
	t.Setenv("DO_NOT_TRACK", "")
	return filepath.Join(root, "elmo")
}

// deploymentEnv is a .env for tests: telemetry to host, a healthy openai
// on provider, short intervals.
func deploymentEnv(host, providerURL string) map[string]string {
	return map[string]string{
		"DEPLOYMENT_ID":               "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		"DEPLOYMENT_MODE":             "local",
		"ELMO_POSTHOG_HOST":           host,
		"ELMO_POSTHOG_KEY":            "phc_test",
		"OPENAI_API_KEY":              "sk-launch-test-key",
		"OPENAI_BASE_URL":             providerURL,
		"WEB_ADDR":                    "127.0.0.1:0",
		"WORKER_INTERVAL":             "200ms",
		"OTEL_METRIC_EXPORT_INTERVAL": "300",
		"OTEL_BSP_SCHEDULE_DELAY":     "100",
	}
}

// runDeployment runs the deployment with launch.Run as elmo start does,
// creates two brands and a prompt through the web app, waits until the
// worker has processed it, and stops the deployment.
func runDeployment(t *testing.T, dir string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := deploytest.NewLines()
	done := make(chan error, 1)
	// Waiting ends early if Run returns: a service failed to start.
	wait, stop := deploytest.Context()
	defer stop()
	go func() {
		err := launch.Run(ctx, launch.Options{Dir: dir, BinDir: binDir, Stdout: out, Stderr: out})
		done <- err
		if err != nil {
			stop()
		}
	}()
	fail := func(err error) {
		t.Helper()
		cancel()
		<-done
		t.Fatalf("%v\noutput:\n%s", err, out)
	}
	line, err := out.WaitFor(wait, "web    | elmo-web listening on http://")
	if err != nil {
		fail(err)
	}
	base := strings.TrimSpace(line[strings.Index(line, "http://"):])
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	var b1, b2 struct{ ID int64 }
	mustPost(t, hc, base+"/api/brands", map[string]string{"name": "Acme"}, &b1)
	mustPost(t, hc, base+"/api/brands", map[string]string{"name": "Globex"}, &b2)
	var p struct{ ID int64 }
	mustPost(t, hc, base+"/api/prompts", map[string]any{"brand_id": b1.ID, "text": "best anvils?",
		"targets": []map[string]string{{"provider": "openai", "model": "gpt-4o-mini"}}}, &p)
	if _, err := out.WaitFor(wait, "worker | ", `msg="prompt processed"`, "ok=1"); err != nil {
		fail(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}
	if _, err := out.WaitFor(wait, "web    | elmo-web stopped"); err != nil {
		t.Errorf("elmo-web did not report a clean stop: %v", err)
	}
	if _, err := out.WaitFor(wait, "worker | elmo-worker stopped"); err != nil {
		t.Errorf("elmo-worker did not report a clean stop: %v", err)
	}
}

// TestDisableTelemetryInEnvFile is the acceptance test of the opt-out:
// with DISABLE_TELEMETRY=1 in .env, neither service sends a request while
// brands are created and prompts processed. The same run without it
// sends events from both, so the zero could fail.
func TestDisableTelemetryInEnvFile(t *testing.T) {
	for _, disabled := range []bool{false, true} {
		t.Run(fmt.Sprintf("DISABLE_TELEMETRY=%v", disabled), func(t *testing.T) {
			dir := isolate(t)
			capture := posthogtest.NewServer()
			defer capture.Close()
			prov := deploytest.NewProvider(200, "Acme makes the best anvils.")
			defer prov.Close()
			env := deploymentEnv(capture.URL, prov.URL)
			if disabled {
				env["DISABLE_TELEMETRY"] = "1"
			}
			if err := deploytest.WriteEnvFile(filepath.Join(dir, ".env"), env); err != nil {
				t.Fatal(err)
			}

			runDeployment(t, dir)

			reqs := capture.Requests()
			if disabled {
				if len(reqs) != 0 {
					t.Fatalf("with DISABLE_TELEMETRY=1 in .env, the capture server received %d requests", len(reqs))
				}
				return
			}
			events := capture.Events()
			services := map[string]bool{}
			for _, e := range events {
				services[fmt.Sprint(e.Properties["service"])] = true
			}
			if !services["elmo-web"] || !services["elmo-worker"] {
				t.Fatalf("the positive control did not receive events from both services: %v", services)
			}
			if got := deploytest.Sum(events, "brands_created", nil); got != 2 {
				t.Errorf("brands_created = %v, want 2", got)
			}
			if len(posthogtest.Named(events, "prompt_processed")) == 0 {
				t.Error("no prompt_processed event")
			}
		})
	}
}

// TestUnexpectedExit shows that a service that exits is reported by name
// with its status, and that the other is stopped.
func TestUnexpectedExit(t *testing.T) {
	dir := isolate(t)
	// The web app cannot listen on a port that is taken, and exits.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := deploymentEnv("http://127.0.0.1:1", "http://127.0.0.1:1/v1")
	env["WEB_ADDR"] = ln.Addr().String()
	env["DISABLE_TELEMETRY"] = "1"
	if err := deploytest.WriteEnvFile(filepath.Join(dir, ".env"), env); err != nil {
		t.Fatal(err)
	}
	out := deploytest.NewLines()
	err = launch.Run(context.Background(), launch.Options{Dir: dir, BinDir: binDir, Stdout: out, Stderr: out})
	var exitErr *launch.ExitError
	if !errors.As(err, &exitErr) || exitErr.Service != "elmo-web" || !exitErr.Unexpected {
		t.Fatalf("Run = %v, want an unexpected exit of elmo-web\noutput:\n%s", err, out)
	}
	if !strings.Contains(err.Error(), "elmo-web exited unexpectedly: exit status 1") {
		t.Errorf("error %q does not say which service exited and how", err)
	}
	if !slices.ContainsFunc(out.All(), func(l string) bool { return strings.HasPrefix(l, "web    | ") && strings.Contains(l, "cannot listen") }) {
		t.Errorf("the web app's reason is not in the prefixed output:\n%s", out)
	}
}

func TestRunErrors(t *testing.T) {
	t.Run("no .env", func(t *testing.T) {
		dir := isolate(t)
		err := launch.Run(context.Background(), launch.Options{Dir: dir, BinDir: binDir})
		if !errors.Is(err, launch.ErrNotInitialized) || !strings.Contains(err.Error(), "elmo init") {
			t.Errorf("Run = %v, want ErrNotInitialized telling to run elmo init", err)
		}
	})
	t.Run("binary not found", func(t *testing.T) {
		dir := isolate(t)
		t.Setenv("PATH", t.TempDir())
		if err := deploytest.WriteEnvFile(filepath.Join(dir, ".env"), map[string]string{"DISABLE_TELEMETRY": "1"}); err != nil {
			t.Fatal(err)
		}
		err := launch.Run(context.Background(), launch.Options{Dir: dir, BinDir: t.TempDir()})
		if !errors.Is(err, launch.ErrBinaryNotFound) || !strings.Contains(err.Error(), "elmo-web") {
			t.Errorf("Run = %v, want ErrBinaryNotFound naming elmo-web", err)
		}
	})
}

func TestEnvironment(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(
		"# settings\nDISABLE_TELEMETRY=0\nWEB_PORT=4000\nexport OPENAI_API_KEY='sk-x'\nELMO_DIR=/elsewhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := launch.Environment(dir, []string{"PATH=/bin", "WEB_PORT=3000", "DO_NOT_TRACK=1", "DISABLE_TELEMETRY=yes"})
	if err != nil {
		t.Fatal(err)
	}
	got := lookup(env)
	want := map[string]string{
		"PATH":              "/bin",
		"WEB_PORT":          "4000", // .env wins over the parent
		"OPENAI_API_KEY":    "sk-x",
		"DO_NOT_TRACK":      "1",
		"DISABLE_TELEMETRY": "yes", // .env cannot turn telemetry on over an opt-out
		"ELMO_DIR":          dir,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}

	// Without an opt-out in the parent, the file's opt-out applies.
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("DISABLE_TELEMETRY=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _ = launch.Environment(dir, []string{"DISABLE_TELEMETRY="})
	if got := lookup(env)["DISABLE_TELEMETRY"]; got != "1" {
		t.Errorf("DISABLE_TELEMETRY = %q, want 1 from .env", got)
	}
}

// lookup returns the value exec gives each key: the last one.
func lookup(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// TestBackground starts the deployment detached and stops it.
func TestBackground(t *testing.T) {
	dir := isolate(t)
	env := deploymentEnv("http://127.0.0.1:1", "http://127.0.0.1:1/v1")
	env["DISABLE_TELEMETRY"] = "1"
	if err := deploytest.WriteEnvFile(filepath.Join(dir, ".env"), env); err != nil {
		t.Fatal(err)
	}
	if err := launch.Stop(context.Background(), dir); !errors.Is(err, launch.ErrNotRunning) {
		t.Errorf("Stop before start = %v, want ErrNotRunning", err)
	}
	services, err := launch.StartBackground(launch.Options{Dir: dir, BinDir: binDir})
	if err != nil {
		t.Fatal(err)
	}
	if len(services) != 2 || services[0].Name != "elmo-web" || services[1].Name != "elmo-worker" {
		t.Fatalf("StartBackground = %+v", services)
	}
	running, err := launch.Running(dir)
	if err != nil || len(running) != 2 {
		t.Errorf("Running = %v, %v; want both services", running, err)
	}
	if _, err := launch.StartBackground(launch.Options{Dir: dir, BinDir: binDir}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("a second StartBackground = %v, want an error saying it is already running", err)
	}
	if err := launch.Run(context.Background(), launch.Options{Dir: dir, BinDir: binDir}); err == nil || !strings.Contains(err.Error(), "elmo stop") {
		t.Errorf("Run while running in the background = %v, want an error pointing to elmo stop", err)
	}

	// Stop once the services are up, as a person would: a signal that
	// arrives while a program is still starting ends it before it can
	// stop cleanly.
	ctx, cancel := deploytest.Context()
	defer cancel()
	for _, s := range services {
		want := s.Name + " started"
		if s.Name == "elmo-web" {
			want = "elmo-web listening on"
		}
		if err := waitForFile(ctx, s.Log, want); err != nil {
			t.Fatal(err)
		}
	}
	if err := launch.Stop(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if running, _ := launch.Running(dir); len(running) != 0 {
		t.Errorf("still running after Stop: %+v", running)
	}
	if _, err := os.Stat(filepath.Join(dir, launch.PIDFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the pid file is still there: %v", err)
	}
	for _, s := range services {
		log, err := os.ReadFile(s.Log)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(log), s.Name+" stopped") {
			t.Errorf("%s did not stop cleanly; its log:\n%s", s.Name, log)
		}
	}
}

// waitForFile waits until the file at path contains s. It polls, since a
// file offers nothing to wait on.
func waitForFile(ctx context.Context, path, s string) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), s) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never contained %q: %w\n%s", path, s, ctx.Err(), data)
		case <-tick.C:
		}
	}
}

// mustPost sends in to the web app and decodes its answer into out.
func mustPost(t *testing.T, hc *http.Client, url string, in, out any) {
	t.Helper()
	if err := deploytest.PostJSON(hc, url, in, out); err != nil {
		t.Fatal(err)
	}
}
