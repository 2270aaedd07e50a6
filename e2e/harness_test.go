package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// testKey is the PostHog project key the runs send with.
const testKey = clitest.Key

// runTimeout bounds one run of a binary; waitTimeout bounds a wait for
// something a running program is expected to do. Both are generous: they
// only keep a broken build from hanging the tests.
const (
	runTimeout  = clitest.RunTimeout
	waitTimeout = clitest.WaitTimeout
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
const consentGiven = clitest.ConsentGiven

// sandbox is one user's machine (clitest.Sandbox), whose home directory
// holds "canary-user", with a repository to run in: every run's working
// directory is a git work tree called canary-repo.
type sandbox struct {
	*clitest.Sandbox
	repo string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	s := &sandbox{Sandbox: clitest.New(t, clitest.WithUser(canaryUser),
		clitest.WithServerOptions(posthogtest.WithAPIKey(testKey)))}
	s.repo = filepath.Join(s.Home, "src", canaryRepo)
	s.WorkDir = s.repo
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
		s.Extra[k] = v
	}
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

// settle waits until the background senders of the runs so far have
// ended, so that whatever those runs were to send has arrived (or been
// given up on), and returns how many requests the server has received.
// A command's events leave after it exits, from its sender: a count
// taken before they have is no baseline.
func (s *sandbox) settle() int {
	s.T.Helper()
	s.WaitSenders()
	return s.RequestCount()
}

// abandonSenders waits until the server has received a request from the
// background senders of the runs so far, then ends them, as a restart of
// the machine would, and waits until they are gone: what PostHog did not
// acknowledge stays in the spool for a later run, with no sender to
// deliver it.
func (s *sandbox) abandonSenders() {
	s.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := s.Server.WaitForRequests(ctx, 1); err != nil {
		s.T.Fatalf("no sender reached the server: %v", err)
	}
	clitest.KillSendersUnder(s.Home)
	s.WaitSenders()
	if events, _, err := spool.Stats(s.SpoolPath()); err != nil || events == 0 {
		s.T.Fatalf("control: the spool holds %d events (%v), want the undelivered ones", events, err)
	}
}

// assertNoRequestsSince fails the test when the server received more
// than n requests. It first waits for the background senders of the runs
// so far; the deployment's programs, which have exited, delivered or gave
// up before they did; so nothing can still be on its way.
func (s *sandbox) assertNoRequestsSince(n int, what string) {
	s.T.Helper()
	s.WaitSenders()
	reqs := s.Server.Requests()
	if len(reqs) > n {
		s.T.Errorf("%s: the server got %d requests, want none; events: %s",
			what, len(reqs)-n, posthogtest.Names(s.Server.Events()[min(len(s.Server.Events()), countEvents(reqs[:n])):]))
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
