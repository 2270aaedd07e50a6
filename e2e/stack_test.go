package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/app/dotenv"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// process is a running elmo-web or elmo-worker.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *output // stdout and stderr together
	done chan struct{}
	err  error // set when done is closed
}

func startProcess(t *testing.T, name, bin string, env []string, dir string) *process {
	t.Helper()
	p := &process{name: name, out: newOutput(), done: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = env
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stop asks the process to shut down, as elmo or a terminal's Ctrl-C
// does, and waits for it to exit cleanly.
func (p *process) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s did not stop on SIGTERM; it printed:\n%s", p.name, p.out.String())
	}
	if p.err != nil {
		t.Fatalf("%s: %v; it printed:\n%s", p.name, p.err, p.out.String())
	}
}

// stack is a running local deployment: the web app and the worker,
// started with the deployment .env as their environment, as elmo start
// runs them.
type stack struct {
	t      *testing.T
	web    *process
	worker *process
	url    string // the web app's base URL
}

var listening = regexp.MustCompile(`elmo-web listening on (http://\S+)`)

// startStack starts elmo-web and elmo-worker with the sandbox's base
// environment, then the deployment .env, then extra. Short intervals
// keep the run brief; the last events are flushed when the stack stops.
func (s *sandbox) startStack(extra map[string]string) *stack {
	s.T.Helper()
	requireDeployment(s.T)
	f, err := dotenv.ReadFile(s.EnvPath())
	if err != nil {
		s.T.Fatalf("the deployment has no .env (run elmo init first): %v", err)
	}
	dotEnv := map[string]string{}
	for _, kv := range f.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		dotEnv[k] = v
	}
	run := map[string]string{
		"WEB_ADDR":                "127.0.0.1:0",
		"WORKER_INTERVAL":         "100ms",
		"PROVIDER_TIMEOUT":        "30s",
		"OTEL_BSP_SCHEDULE_DELAY": "100",
	}
	env := s.Environ(run, dotEnv, extra)

	st := &stack{t: s.T}
	st.web = startProcess(s.T, "elmo-web", clitest.Web(), env, s.repo)
	out := st.web.out.waitFor(s.T, "elmo-web", "elmo-web listening on http://", 1, st.web.done)
	m := listening.FindStringSubmatch(out)
	if m == nil {
		s.T.Fatalf("elmo-web printed no address:\n%s", out)
	}
	st.url = m[1]
	st.worker = startProcess(s.T, "elmo-worker", clitest.Worker(), env, s.repo)
	st.worker.out.waitFor(s.T, "elmo-worker", "elmo-worker started", 1, st.worker.done)
	return st
}

// stop stops the worker and the web app; their telemetry is delivered
// before they exit.
func (st *stack) stop() {
	st.t.Helper()
	st.worker.stop(st.t)
	st.web.stop(st.t)
}

// waitProcessed waits until the worker has processed prompts n times in
// all since it started.
func (st *stack) waitProcessed(n int) {
	st.t.Helper()
	st.worker.out.waitFor(st.t, "elmo-worker", `msg="prompt processed"`, n, st.worker.done)
}

// logs returns everything the web app and the worker printed.
func (st *stack) logs() string { return st.web.out.String() + st.worker.out.String() }

// call sends a JSON request to the web app and decodes the answer into
// out, failing the test unless the status is want.
func (st *stack) call(method, path string, in any, want int, out any) {
	st.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			st.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, st.url+path, body)
	if err != nil {
		st.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		st.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			st.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// target is a provider and model a prompt runs on.
type target struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
}

// createBrand creates a brand and returns its ID.
func (st *stack) createBrand(name string) int64 {
	st.t.Helper()
	var b struct {
		ID int64 `json:"id"`
	}
	st.call(http.MethodPost, "/api/brands", map[string]string{"name": name}, http.StatusCreated, &b)
	return b.ID
}

// createPrompt creates a prompt and returns its ID.
func (st *stack) createPrompt(brandID int64, text string, targets ...target) int64 {
	st.t.Helper()
	var p struct {
		ID int64 `json:"id"`
	}
	st.call(http.MethodPost, "/api/prompts",
		map[string]any{"brand_id": brandID, "text": text, "targets": targets}, http.StatusCreated, &p)
	return p.ID
}

// editPrompt changes a prompt's text.
func (st *stack) editPrompt(id int64, text string, targets ...target) {
	st.t.Helper()
	st.call(http.MethodPut, fmt.Sprintf("/api/prompts/%d", id),
		map[string]any{"text": text, "targets": targets}, http.StatusOK, nil)
}

// runReport runs a report on a brand.
func (st *stack) runReport(brandID int64) {
	st.t.Helper()
	st.call(http.MethodPost, "/api/reports", map[string]any{"brand_id": brandID}, http.StatusOK, nil)
}

// responses returns the stored answers to a prompt, as the web app shows
// them.
func (st *stack) responses(promptID int64) string {
	st.t.Helper()
	var raw json.RawMessage
	st.call(http.MethodGet, fmt.Sprintf("/api/prompts/%d/responses", promptID), nil, http.StatusOK, &raw)
	return string(raw)
}

// modelServer is an OpenAI-compatible chat-completions server on
// loopback. Requests whose path holds /fail/ get a 500 with an error
// text; the others get canaryResponse.
type modelServer struct {
	*httptest.Server
	mu      sync.Mutex
	seen    []string // the Authorization header and body of each request
	answers atomic.Int64
}

func newModelServer(t *testing.T) *modelServer {
	t.Helper()
	m := &modelServer{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		m.seen = append(m.seen, r.Header.Get("Authorization")+" "+string(body))
		m.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "/fail/") {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"error":{"message":%q}}`, canaryProvError)
			return
		}
		m.answers.Add(1)
		fmt.Fprintf(w, `{"choices":[{"message":{"role":"assistant","content":%q}}]}`, canaryResponse)
	}))
	t.Cleanup(m.Close)
	return m
}

// received returns what the provider received: proof that the keys and
// prompts the tests look for in telemetry were really in the
// deployment's hands.
func (m *modelServer) received() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.seen, "\n")
}
