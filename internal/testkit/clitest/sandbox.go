// Package clitest is the sandbox in which the tests of cmd/elmo and e2e
// run the elmo CLI as a user would: the programs built once per test
// process (Main), and for each test a machine of its own (New), with its
// home, config, state and deployment directories, a loopback PostHog
// capture server, and an environment that inherits nothing from the
// machine running the tests but PATH, so that no opt-out variable, CI or
// OTEL_* setting of that machine can change an outcome.
package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/pipeline/configfile"
	"github.com/elmohq/telemetry/internal/pipeline/sentlog"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
	"github.com/elmohq/telemetry/internal/pipeline/userdir"
	"github.com/elmohq/telemetry/otelsetup"
)

// Key is the PostHog project key every run sends with.
const Key = "phc_test"

// ConsentGiven is the config.json of a user who turned telemetry on.
const ConsentGiven = `{"telemetryDisabled": false}` + "\n"

// RunTimeout bounds one run of a program; WaitTimeout bounds a wait for
// something a program is expected to do. Both are generous: they only
// keep a broken build from hanging the tests, and assert nothing about
// speed.
const (
	RunTimeout  = 2 * time.Minute
	WaitTimeout = time.Minute
)

// Sandbox is one user's machine for one test. Its fields may be changed
// before a run.
type Sandbox struct {
	// T is the test the sandbox belongs to.
	T *testing.T
	// Root is the temporary directory that holds everything else.
	Root string
	// Home is HOME: Root/home/<user>.
	Home string
	// ConfigHome is XDG_CONFIG_HOME, Home/.config.
	ConfigHome string
	// StateHome is XDG_STATE_HOME, Home/.local/state.
	StateHome string
	// Dir is the deployment directory, ELMO_DIR: Home/.elmo.
	Dir string
	// WorkDir is the working directory of every run; "" is the test's.
	WorkDir string
	// Server is the PostHog capture server the programs send to.
	Server *posthogtest.Server
	// Extra holds variables of every run, over the base environment; an
	// empty value unsets one.
	Extra map[string]string
	// Stdin is the standard input of runs; nil is none.
	Stdin io.Reader
	// Stderr, when set, receives the standard error of runs instead of
	// their Result.
	Stderr io.Writer
}

// Option configures New.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	user          string
	serverOptions []posthogtest.Option
}

// WithUser names the user, whose name is the last element of Home. The
// default is "user".
func WithUser(name string) Option {
	return optionFunc(func(c config) config {
		c.user = name
		return c
	})
}

// WithServerOptions configures the capture server.
func WithServerOptions(opts ...posthogtest.Option) Option {
	return optionFunc(func(c config) config {
		c.serverOptions = append(c.serverOptions, opts...)
		return c
	})
}

// New returns a fresh machine under t.TempDir, with a capture server that
// is closed when the test ends. It creates no directory under Root: the
// programs create what they need.
func New(t *testing.T, opts ...Option) *Sandbox {
	t.Helper()
	c := config{user: "user"}
	for _, o := range opts {
		c = o.apply(c)
	}
	srv := posthogtest.NewServer(c.serverOptions...)
	t.Cleanup(srv.Close)
	root := t.TempDir()
	home := filepath.Join(root, "home", c.user)
	sb := &Sandbox{
		T:          t,
		Root:       root,
		Home:       home,
		ConfigHome: filepath.Join(home, ".config"),
		StateHome:  filepath.Join(home, ".local", "state"),
		Dir:        filepath.Join(home, ".elmo"),
		Server:     srv,
		Extra:      map[string]string{},
	}
	// Before the directories go: no sender of this test outlives it.
	t.Cleanup(sb.killSenders)
	return sb
}

// Env returns the environment of a run: the base environment (PATH, the
// sandbox's directories, the capture server and Key), then Extra, then
// layers, in order. An empty value stands for an unset variable.
func (s *Sandbox) Env(layers ...map[string]string) map[string]string {
	env := map[string]string{
		"PATH":                   os.Getenv("PATH"),
		"HOME":                   s.Home,
		userdir.VarConfigHome:    s.ConfigHome,
		userdir.VarStateHome:     s.StateHome,
		deployment.VarElmoDir:    s.Dir,
		otelsetup.VarPostHogHost: s.Server.URL,
		otelsetup.VarPostHogKey:  Key,
	}
	if raceEnabled {
		// A race in a program fails its run (exit code 66), without the
		// race runtime's one-second pause at exit.
		env["GORACE"] = "atexit_sleep_ms=0"
	}
	for _, l := range append([]map[string]string{s.Extra}, layers...) {
		for k, v := range l {
			env[k] = v
		}
	}
	return env
}

// Environ returns Env(layers...) as KEY=value strings, without the unset
// variables.
func (s *Sandbox) Environ(layers ...map[string]string) []string {
	env := s.Env(layers...)
	out := make([]string, 0, len(env))
	for k, v := range env {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// Result is the outcome of one run of elmo.
type Result struct {
	// Code is the exit code.
	Code int
	// Stdout and Stderr are what the run wrote; Stderr is empty when the
	// sandbox's Stderr received it.
	Stdout, Stderr string
}

// Run runs elmo with args and waits for it to exit.
func (s *Sandbox) Run(args ...string) Result {
	s.T.Helper()
	return s.RunEnv(nil, args...)
}

// RunEnv runs elmo with args and extra variables ("" unsets one) and
// waits for it to exit.
func (s *Sandbox) RunEnv(extra map[string]string, args ...string) Result {
	s.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Elmo(), args...)
	cmd.Env = s.Environ(extra)
	cmd.Dir = s.WorkDir
	cmd.Stdin = s.Stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if s.Stderr != nil {
		cmd.Stderr = s.Stderr
	}
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	case err != nil:
		s.T.Fatalf("elmo %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// MustRun runs elmo and fails the test unless it exits 0.
func (s *Sandbox) MustRun(args ...string) Result {
	s.T.Helper()
	return s.MustRunEnv(nil, args...)
}

// MustRunEnv runs elmo with extra variables and fails the test unless it
// exits 0.
func (s *Sandbox) MustRunEnv(extra map[string]string, args ...string) Result {
	s.T.Helper()
	res := s.RunEnv(extra, args...)
	if res.Code != 0 {
		s.T.Fatalf("elmo %s: exit code %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.Code, res.Stdout, res.Stderr)
	}
	return res
}

// ConfigPath is the path of config.json.
func (s *Sandbox) ConfigPath() string {
	return filepath.Join(s.ConfigHome, userdir.App, configfile.FileName)
}

// EnvPath is the path of the deployment's .env.
func (s *Sandbox) EnvPath() string { return deployment.EnvPath(s.Dir) }

// SpoolPath is where the CLI keeps the events it could not deliver.
func (s *Sandbox) SpoolPath() string { return filepath.Join(s.StateHome, userdir.App, spool.FileName) }

// SentLogPath is where the CLI keeps its record of what it sent.
func (s *Sandbox) SentLogPath() string {
	return filepath.Join(s.StateHome, userdir.App, sentlog.FileName)
}

// WriteFile writes content to path, creating its directory, as a user or
// an earlier run would have.
func (s *Sandbox) WriteFile(path, content string) {
	s.T.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		s.T.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		s.T.Fatal(err)
	}
}

// WriteConfig writes config.json as a user's earlier runs would have.
func (s *Sandbox) WriteConfig(content string) {
	s.T.Helper()
	s.WriteFile(s.ConfigPath(), content)
}

// Config reads config.json.
func (s *Sandbox) Config() map[string]any {
	s.T.Helper()
	data, err := os.ReadFile(s.ConfigPath())
	if err != nil {
		s.T.Fatalf("reading config.json: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		s.T.Fatalf("config.json: %v\n%s", err, data)
	}
	return m
}

// InstallID returns the install ID recorded in config.json, "" when none.
func (s *Sandbox) InstallID() string {
	s.T.Helper()
	id, _ := s.Config()["telemetryId"].(string)
	return id
}

// WriteEnvFile writes the deployment's .env.
func (s *Sandbox) WriteEnvFile(content string) {
	s.T.Helper()
	s.WriteFile(s.EnvPath(), content)
}

// EnvFile reads the deployment's .env.
func (s *Sandbox) EnvFile() string {
	s.T.Helper()
	data, err := os.ReadFile(s.EnvPath())
	if err != nil {
		s.T.Fatalf("reading .env: %v", err)
	}
	return string(data)
}

// Events waits until at least n events have arrived and returns them all.
func (s *Sandbox) Events(n int) []posthogtest.Event {
	s.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
	defer cancel()
	evs, err := s.Server.WaitForEvents(ctx, n)
	if err != nil {
		s.T.Fatalf("%v; got %s", err, posthogtest.Names(evs))
	}
	return evs
}

// RequestCount returns how many requests the server has received.
func (s *Sandbox) RequestCount() int { return len(s.Server.Requests()) }

// AssertNoRequests fails the test when the server received anything. It
// first waits for the background senders of the runs so far, so that
// nothing can still be on its way.
func (s *Sandbox) AssertNoRequests() {
	s.T.Helper()
	s.WaitSenders()
	if reqs := s.Server.Requests(); len(reqs) != 0 {
		s.T.Errorf("server got %d requests, want none; events: %s", len(reqs), posthogtest.Names(s.Server.Events()))
	}
}
