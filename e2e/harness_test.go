package e2e

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
	"sync"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// testKey is the PostHog project key the runs send with.
const testKey = "phc_test"

// runTimeout bounds one run of a binary; waitTimeout bounds a wait for
// something a running program is expected to do. Both are generous: they
// only keep a broken build from hanging the tests.
const (
	runTimeout  = 2 * time.Minute
	waitTimeout = time.Minute
)

// Canaries: values planted in everything a user's machine can hold, that
// must never reach the capture server. None of them looks like a
// credential to a pattern-matching scrubber unless it says so, so that
// the tests show they are never picked up at all, not merely scrubbed.
const (
	canaryUser      = "canary-user"
	canaryHost      = "canary-host.example.com"
	canaryRepo      = "canary-repo"
	canaryOpenAIKey = "sk-canary-0123456789abcdef0123456789abcdef"
	canaryPlainKey  = "canary-plain-key-7f3a9c2e"
	canaryDBPass    = "canary-db-password"
	canaryEnvValue  = "canary-env-contents"
	canaryEmail     = "canary.person@example.com"
	canaryBrand     = "Acme Canary Brand"
	canaryPrompt    = "Which canary-prompt vendor sells the best birdseed?"
	canaryEdited    = "Which canary-edited-prompt vendor sells the best seed?"
	canaryResponse  = "canary-scraped-response: Acme sells the best birdseed."
	canaryProvError = "canary-provider-error-detail"
)

// consentGiven is the config.json of a user who turned telemetry on.
const consentGiven = `{"telemetryDisabled": false}` + "\n"

// sandbox is one user's machine: a home directory, a config directory, a
// deployment directory, a repository to run in, and the PostHog server
// the programs send to.
type sandbox struct {
	t     *testing.T
	root  string
	home  string // contains "canary-user"
	xdg   string
	dir   string // the deployment directory, ELMO_DIR
	repo  string // a git work tree called canary-repo, the working directory of every run
	srv   *posthogtest.Server
	extra map[string]string // variables of every run; "" unsets one
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	srv := posthogtest.NewServer(posthogtest.WithAPIKey(testKey))
	t.Cleanup(srv.Close)
	root := t.TempDir()
	home := filepath.Join(root, "home", canaryUser)
	s := &sandbox{
		t:     t,
		root:  root,
		home:  home,
		xdg:   filepath.Join(home, ".config"),
		dir:   filepath.Join(home, ".elmo"),
		repo:  filepath.Join(home, "src", canaryRepo),
		srv:   srv,
		extra: map[string]string{},
	}
	if err := os.MkdirAll(filepath.Join(s.repo, ".git"), 0o700); err != nil {
		t.Fatal(err)
	}
	return s
}

// plantCanaries puts identifying values where a careless program would
// find them: the user and host names, the resource attributes that the
// OpenTelemetry SDK reads from the environment, and provider keys.
func (s *sandbox) plantCanaries() {
	for k, v := range map[string]string{
		"USER":                     canaryUser,
		"LOGNAME":                  canaryUser,
		"HOSTNAME":                 canaryHost,
		"EMAIL":                    canaryEmail,
		"GIT_AUTHOR_EMAIL":         canaryEmail,
		"OTEL_RESOURCE_ATTRIBUTES": "host.name=" + canaryHost + ",process.executable.path=/home/" + canaryUser + "/bin/elmo,enduser.id=" + canaryUser,
		"OTEL_SERVICE_NAME":        canaryHost,
		"OPENAI_API_KEY":           canaryOpenAIKey,
		"MISTRAL_API_KEY":          canaryPlainKey,
	} {
		s.extra[k] = v
	}
}

// baseEnv is the environment every program of the sandbox starts from:
// nothing is inherited from the test's own environment but PATH, so that
// CI, DO_NOT_TRACK or OTEL_* of the machine running the tests cannot
// change the outcome.
func (s *sandbox) baseEnv() map[string]string {
	env := map[string]string{
		"PATH":              os.Getenv("PATH"),
		"HOME":              s.home,
		"XDG_CONFIG_HOME":   s.xdg,
		"ELMO_DIR":          s.dir,
		"ELMO_POSTHOG_HOST": s.srv.URL,
		"ELMO_POSTHOG_KEY":  testKey,
	}
	if raceEnabled {
		// A race in a binary fails its run (exit code 66), without the
		// race runtime's one-second pause at exit.
		env["GORACE"] = "atexit_sleep_ms=0"
	}
	return env
}

// environ merges layers of variables over baseEnv; an empty value unsets
// a variable.
func (s *sandbox) environ(layers ...map[string]string) []string {
	env := s.baseEnv()
	for _, l := range append([]map[string]string{s.extra}, layers...) {
		for k, v := range l {
			env[k] = v
		}
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// result is the outcome of one run of elmo.
type result struct {
	code           int
	stdout, stderr string
}

// run runs elmo with args and waits for it to exit.
func (s *sandbox) run(args ...string) result {
	s.t.Helper()
	return s.runEnv(nil, args...)
}

// runEnv runs elmo with args and extra variables ("" unsets one).
func (s *sandbox) runEnv(extra map[string]string, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, elmoBin, args...)
	cmd.Env = s.environ(extra)
	cmd.Dir = s.repo
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
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
	return s.mustRunEnv(nil, args...)
}

func (s *sandbox) mustRunEnv(extra map[string]string, args ...string) result {
	s.t.Helper()
	res := s.runEnv(extra, args...)
	if res.code != 0 {
		s.t.Fatalf("elmo %s: exit code %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res
}

func (s *sandbox) configPath() string { return filepath.Join(s.xdg, "elmo", "config.json") }
func (s *sandbox) envPath() string    { return filepath.Join(s.dir, ".env") }

// spoolPath is where the CLI keeps the events it could not deliver: in
// the state directory, ~/.local/state/elmo when XDG_STATE_HOME is unset.
func (s *sandbox) spoolPath() string {
	return filepath.Join(s.home, ".local", "state", "elmo", "telemetry-spool.jsonl")
}

// writeConfig writes config.json as a user's earlier runs would have.
func (s *sandbox) writeConfig(content string) {
	s.t.Helper()
	writeFile(s.t, s.configPath(), content)
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

// installID returns the install ID recorded in config.json, "" when none.
func (s *sandbox) installID() string {
	s.t.Helper()
	id, _ := s.config()["telemetryId"].(string)
	return id
}

func (s *sandbox) envFile() string {
	s.t.Helper()
	data, err := os.ReadFile(s.envPath())
	if err != nil {
		s.t.Fatalf("reading .env: %v", err)
	}
	return string(data)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// events waits until at least n events have arrived and returns them all.
func (s *sandbox) events(n int) []posthogtest.Event {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	evs, err := s.srv.WaitForEvents(ctx, n)
	if err != nil {
		s.t.Fatalf("%v; got %s", err, posthogtest.Names(evs))
	}
	return evs
}

// requestCount returns how many requests the server has received.
func (s *sandbox) requestCount() int { return len(s.srv.Requests()) }

// assertNoRequestsSince fails the test when the server received more
// than n requests. The programs have exited, and a program delivers or
// gives up before it exits, so nothing can still be on its way.
func (s *sandbox) assertNoRequestsSince(n int, what string) {
	s.t.Helper()
	reqs := s.srv.Requests()
	if len(reqs) > n {
		s.t.Errorf("%s: the server got %d requests, want none; events: %s",
			what, len(reqs)-n, posthogtest.Names(s.srv.Events()[min(len(s.srv.Events()), countEvents(reqs[:n])):]))
	}
}

// countEvents counts the events in requests that the server accepted.
func countEvents(reqs []posthogtest.Request) int {
	n := 0
	for _, r := range reqs {
		var b struct {
			Batch []json.RawMessage `json:"batch"`
		}
		if r.Status == 200 && json.Unmarshal(r.Body, &b) == nil {
			n += len(b.Batch)
		}
	}
	return n
}

// bodies returns every request body the server received, decompressed.
func bodies(reqs []posthogtest.Request) []byte {
	var all []byte
	for _, r := range reqs {
		all = append(all, r.Body...)
		all = append(all, '\n')
	}
	return all
}

// byService returns the events whose service property is service.
func byService(evs []posthogtest.Event, service string) []posthogtest.Event {
	var out []posthogtest.Event
	for _, e := range evs {
		if e.Properties["service"] == service {
			out = append(out, e)
		}
	}
	return out
}

// assertAbsent fails the test for each needle found in haystack. It first
// checks that each needle is in the input the programs were given, so
// that the check can fail.
func assertAbsent(t *testing.T, what string, haystack []byte, input string, needles ...string) {
	t.Helper()
	if len(haystack) == 0 {
		t.Fatalf("%s: nothing was sent, so nothing can be checked", what)
	}
	for _, n := range needles {
		if !strings.Contains(input, n) {
			t.Fatalf("control: the canary %q is not in the input, so its absence proves nothing", n)
		}
		if i := bytes.Index(haystack, []byte(n)); i >= 0 {
			lo, hi := max(0, i-120), min(len(haystack), i+len(n)+120)
			t.Errorf("%s carries %q: ...%s...", what, n, haystack[lo:hi])
		}
	}
}

// output collects what a process writes and lets a test wait for a
// line, without polling.
type output struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	change chan struct{}
}

func newOutput() *output { return &output{change: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.change)
	o.change = make(chan struct{})
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until the output holds n occurrences of s, and returns
// the output. It fails the test after waitTimeout, or when done is closed
// first (the process exited).
func (o *output) waitFor(t *testing.T, what, s string, n int, done <-chan struct{}) string {
	t.Helper()
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for {
		o.mu.Lock()
		out, change := o.buf.String(), o.change
		o.mu.Unlock()
		if strings.Count(out, s) >= n {
			return out
		}
		select {
		case <-change:
		case <-done:
			if out := o.String(); strings.Count(out, s) >= n {
				return out
			}
			t.Fatalf("%s exited before it printed %q; it printed:\n%s", what, s, o.String())
		case <-timeout.C:
			t.Fatalf("%s never printed %q (%d times); it printed:\n%s", what, s, n, o.String())
		}
	}
}

var _ io.Writer = (*output)(nil)

// removeFile removes path.
func removeFile(path string) error { return os.Remove(path) }

// hostname returns the name of the machine running the tests.
func hostname() (string, error) { return os.Hostname() }
