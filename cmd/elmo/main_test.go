package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// binary is the elmo binary the tests run, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "elmo-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "elmo")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building elmo: %v\n", err)
		return 1
	}
	// The deployment's programs, beside elmo as a release ships them, for
	// the tests of elmo start. They are not under test here: no -race.
	services := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "../elmo-web", "../elmo-worker")
	services.Stdout, services.Stderr = os.Stderr, os.Stderr
	if err := services.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building the deployment's programs: %v\n", err)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			return 1
		}
	}
	return code
}

// sandbox is a user's machine for one test: its own HOME, config
// directory and deployment directory, and a PostHog server.
type sandbox struct {
	t      *testing.T
	home   string
	xdg    string
	dir    string
	srv    *posthogtest.Server
	extra  map[string]string
	stdin  io.Reader
	stderr io.Writer // when set, receives the child's stderr instead of the result
}

// result is the outcome of one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

func newSandbox(t *testing.T, opts ...posthogtest.Option) *sandbox {
	t.Helper()
	srv := posthogtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	root := t.TempDir()
	return &sandbox{
		t:     t,
		home:  filepath.Join(root, "home"),
		xdg:   filepath.Join(root, "xdg"),
		dir:   filepath.Join(root, "elmo"),
		srv:   srv,
		extra: map[string]string{},
	}
}

// environ is the complete environment of a run: nothing is inherited
// from the test's own environment but PATH, so that CI, DO_NOT_TRACK or
// OTEL_* of the machine running the tests cannot change the outcome.
func (s *sandbox) environ(extra map[string]string) []string {
	env := map[string]string{
		"PATH":              os.Getenv("PATH"),
		"HOME":              s.home,
		"XDG_CONFIG_HOME":   s.xdg,
		"ELMO_DIR":          s.dir,
		"ELMO_POSTHOG_HOST": s.srv.URL,
		"ELMO_POSTHOG_KEY":  "phc_test",
	}
	if raceEnabled {
		// A race in the binary fails its run (exit code 66); without
		// the race runtime's default one-second pause at exit.
		env["GORACE"] = "atexit_sleep_ms=0"
	}
	for k, v := range s.extra {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// run runs elmo with args and waits for it to exit.
func (s *sandbox) run(args ...string) result {
	s.t.Helper()
	return s.runEnv(nil, args...)
}

// runEnv runs elmo with args and extra variables ("" unsets one).
func (s *sandbox) runEnv(extra map[string]string, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = s.environ(extra)
	cmd.Stdin = s.stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if s.stderr != nil {
		cmd.Stderr = s.stderr
	}
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		s.t.Fatalf("elmo %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// mustRun runs elmo and fails the test unless it exits 0.
func (s *sandbox) mustRun(args ...string) result {
	s.t.Helper()
	res := s.run(args...)
	if res.code != 0 {
		s.t.Fatalf("elmo %s: exit code %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

func (s *sandbox) configPath() string { return filepath.Join(s.xdg, "elmo", "config.json") }
func (s *sandbox) envPath() string    { return filepath.Join(s.dir, ".env") }

// writeConfig writes config.json as a user's earlier runs would have.
func (s *sandbox) writeConfig(content string) {
	s.t.Helper()
	if err := os.MkdirAll(filepath.Dir(s.configPath()), 0o700); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(s.configPath(), []byte(content), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

// config reads config.json.
func (s *sandbox) config() map[string]any {
	s.t.Helper()
	data, err := os.ReadFile(s.configPath())
	if err != nil {
		s.t.Fatalf("reading config.json: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		s.t.Fatalf("config.json: %v\n%s", err, data)
	}
	return m
}

// writeEnvFile writes the deployment .env.
func (s *sandbox) writeEnvFile(content string) {
	s.t.Helper()
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(s.envPath(), []byte(content), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sandbox) envFile() string {
	s.t.Helper()
	data, err := os.ReadFile(s.envPath())
	if err != nil {
		s.t.Fatalf("reading .env: %v", err)
	}
	return string(data)
}

// events waits for at least n events and returns them all.
func (s *sandbox) events(n int) []posthogtest.Event {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	evs, err := s.srv.WaitForEvents(ctx, n)
	if err != nil {
		s.t.Fatalf("%v; got %s", err, posthogtest.Names(evs))
	}
	return evs
}

// assertNoRequests fails the test when the server received anything.
// The runs have exited, and a run delivers or gives up before it exits.
func (s *sandbox) assertNoRequests() {
	s.t.Helper()
	if reqs := s.srv.Requests(); len(reqs) != 0 {
		s.t.Errorf("server got %d requests, want none; events: %s", len(reqs), posthogtest.Names(s.srv.Events()))
	}
}

// consentGiven is a config.json of a user who turned telemetry on.
const consentGiven = `{"telemetryDisabled": false}` + "\n"
