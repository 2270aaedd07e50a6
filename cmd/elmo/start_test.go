package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/app/launch"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// deploymentEnv makes the services quick to start, export and stop in a
// test; launch passes the CLI's environment on to them.
var deploymentEnv = map[string]string{
	"WEB_ADDR":                    "127.0.0.1:0",
	"WORKER_INTERVAL":             "100ms",
	"OTEL_METRIC_EXPORT_INTERVAL": "200",
	"OTEL_BSP_SCHEDULE_DELAY":     "100",
}

var listening = regexp.MustCompile(`elmo-web listening on (http://\S+)`)

func TestStartWithoutInitSaysToRunInit(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	res := s.Run("start")
	if res.Code != 1 || !strings.Contains(res.Stderr, "elmo init") {
		t.Errorf("exit %d, stderr %q; want 1 and a hint to run elmo init", res.Code, res.Stderr)
	}
}

// A deployment that cannot run is not announced: elmo start checks
// first, then says it runs.
func TestStartChecksBeforeAnnouncing(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  func(s *sandbox) string
	}{
		{"missing directory", func(s *sandbox) string { return filepath.Join(s.Home, "nonexistent") }},
		{"directory without .env", func(s *sandbox) string { return s.Home }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			s.WriteConfig(consentGiven)
			if err := os.MkdirAll(s.Home, 0o700); err != nil {
				t.Fatal(err)
			}
			res := s.Run("start", "--dir", tc.dir(s))
			if res.Code != 1 || !strings.Contains(res.Stderr, "elmo init") {
				t.Errorf("exit %d, stderr %q; want 1 and a hint to run elmo init", res.Code, res.Stderr)
			}
			if strings.Contains(res.Stderr, "Running the deployment") {
				t.Errorf("start announced a deployment it could not run:\n%s", res.Stderr)
			}
		})
	}
}

func TestStopWhenNotRunning(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	res := s.MustRun("stop")
	if !strings.Contains(res.Stdout, "not running") {
		t.Errorf("stdout %q does not say the deployment is not running", res.Stdout)
	}
}

// TestStartDetachThenStop runs the deployment in the background as a user
// would, uses the web app, stops it, and checks what the services sent.
func TestStartDetachThenStop(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes")
	for k, v := range deploymentEnv {
		s.Extra[k] = v
	}
	res := s.MustRun("start", "--detach")
	if !strings.Contains(res.Stdout, "elmo-web") || !strings.Contains(res.Stdout, "elmo stop") {
		t.Errorf("start --detach said %q", res.Stdout)
	}
	web := waitForURL(t, filepath.Join(s.Dir, launch.LogDirName, "elmo-web.log"))
	postBrand(t, web, "Canary Brand Detached")

	s.MustRun("stop")
	if _, err := os.Stat(filepath.Join(s.Dir, launch.PIDFileName)); !os.IsNotExist(err) {
		t.Errorf("the pid file is still there after stop: %v", err)
	}
	deploymentID := envValue(t, s.EnvFile(), "DEPLOYMENT_ID")
	var heartbeat, brands bool
	for _, ev := range s.Server.Events() {
		switch ev.Event {
		case "deployment_heartbeat":
			heartbeat = ev.DistinctID == deploymentID
		case "brands_created":
			brands = ev.DistinctID == deploymentID && ev.Properties["value"] == float64(1)
		}
	}
	if !heartbeat || !brands {
		t.Errorf("want deployment_heartbeat and brands_created=1 keyed by %s; got %s", deploymentID, posthogtest.Names(s.Server.Events()))
	}
	settle(s) // the CLI's events too
	for _, r := range s.Server.Requests() {
		if bytes.Contains(bytes.ToLower(r.Body), []byte("canary")) {
			t.Errorf("the brand name was sent: %s", r.Body)
		}
	}
}

// TestStartRunsUntilInterrupted runs elmo start in the foreground and
// stops it with Ctrl-C.
func TestStartRunsUntilInterrupted(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes", "--telemetry=false")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	extra := map[string]string{}
	for k, v := range deploymentEnv {
		extra[k] = v
	}
	cmd := exec.CommandContext(ctx, clitest.Elmo(), "start")
	cmd.Env = s.Environ(extra)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var web string
	for web == "" && lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			web = m[1]
		}
	}
	if web == "" {
		t.Fatalf("elmo-web never said where it listens; stderr:\n%s", stderr.String())
	}
	postBrand(t, web, "Canary Brand")
	var rest bytes.Buffer
	drained := make(chan struct{})
	go func() { // keep reading, so the services never block on output
		defer close(drained)
		for lines.Scan() {
			rest.WriteString(lines.Text() + "\n")
		}
	}()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	<-drained
	if err != nil {
		t.Logf("stdout after the signal:\n%s", rest.String())
		t.Fatalf("elmo start ended with %v after Ctrl-C (web %s); stderr:\n%q", err, web, stderr.String())
	}
	if !strings.Contains(stderr.String(), "Stopped.") {
		t.Errorf("stderr %q does not say the deployment stopped", stderr.String())
	}
	// Telemetry was declined in init, for the CLI and the deployment.
	s.AssertNoRequests()
}

// waitForURL waits until the web app's log says where it listens.
func waitForURL(t *testing.T, log string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(log)
		if m := listening.FindSubmatch(data); m != nil {
			return string(m[1])
		}
		time.Sleep(20 * time.Millisecond) // the log is a file: nothing to wait on
	}
	data, _ := os.ReadFile(log)
	t.Fatalf("elmo-web never said where it listens; its log:\n%s", data)
	return ""
}

func postBrand(t *testing.T, web, name string) {
	t.Helper()
	res, err := http.Post(web+"/api/brands", "application/json", strings.NewReader(`{"name":"`+name+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("creating a brand: %s", res.Status)
	}
}

func envValue(t *testing.T, env, key string) string {
	t.Helper()
	for line := range strings.Lines(env) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+"="); ok {
			return v
		}
	}
	t.Fatalf("%s not in .env:\n%s", key, env)
	return ""
}
