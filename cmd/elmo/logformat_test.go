package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/testkit/clitest"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// elmo start prints the services' log lines in the form of its own lines
// with --log-format=human (the default on a terminal), and as the
// services wrote them, key=value for a log collector, with
// --log-format=structured (the default otherwise).
func TestStartLogFormat(t *testing.T) {
	for _, tc := range []struct {
		format    string
		want, not string
	}{
		{"human", "worker | prompt processed (prompt=1 runs=1 ok=1 failed=0)", "level=INFO"},
		{"structured", `msg="prompt processed" prompt=1 runs=1 ok=1 failed=0`, "worker | prompt processed ("},
		{"", `msg="prompt processed"`, "worker | prompt processed ("}, // not a terminal
	} {
		t.Run("format="+tc.format, func(t *testing.T) {
			provider := deploytest.NewProvider(200, "an answer")
			t.Cleanup(provider.Close)
			s := newSandbox(t)
			s.Extra["OPENAI_API_KEY"] = "sk-test-log-format"
			s.Extra["OPENAI_BASE_URL"] = provider.URL
			s.MustRun("init", "--yes", "--telemetry=false", "--provider", "openai")

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := []string{"start"}
			if tc.format != "" {
				args = append(args, "--log-format", tc.format)
			}
			cmd := exec.CommandContext(ctx, clitest.Elmo(), args...)
			cmd.Env = s.Environ(deploymentEnv)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 1024)
			done := make(chan struct{}, 2)
			for _, r := range []interface{ Read([]byte) (int, error) }{stdout, stderr} {
				go func() {
					defer func() { done <- struct{}{} }()
					sc := bufio.NewScanner(r)
					for sc.Scan() {
						select {
						case lines <- sc.Text():
						default: // the test has what it needs
						}
					}
				}()
			}
			var seen []string
			next := func(what string) string {
				t.Helper()
				select {
				case l := <-lines:
					seen = append(seen, l)
					return l
				case <-ctx.Done():
					t.Fatalf("waiting for %s: %v; output:\n%s", what, ctx.Err(), strings.Join(seen, "\n"))
					return ""
				}
			}
			var web string
			for web == "" {
				if m := listening.FindStringSubmatch(next("the web app's address")); m != nil {
					web = m[1]
				}
			}
			createPrompt(t, web)
			got := next("the worker's line")
			for !strings.Contains(got, "prompt processed") {
				got = next("the worker's line")
			}
			if !strings.Contains(got, tc.want) || strings.Contains(got, tc.not) {
				t.Errorf("the worker's line reads %q; want it to hold %q and not %q", got, tc.want, tc.not)
			}
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			<-done
			<-done
			if err := cmd.Wait(); err != nil {
				t.Errorf("elmo start: %v", err)
			}
		})
	}
}

func TestStartLogFormatUnknown(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes", "--telemetry=false")
	res := s.Run("start", "--log-format", "fancy")
	if res.Code != 2 || !strings.Contains(res.Stderr, "--log-format") || strings.Contains(res.Stderr, "Running the deployment") {
		t.Errorf("exit %d, stderr %q; want a usage error naming --log-format", res.Code, res.Stderr)
	}
}

// createPrompt creates, through the web app's API, a brand with a prompt
// that runs on openai.
func createPrompt(t *testing.T, web string) {
	t.Helper()
	post := func(path, body string, out any) {
		res, err := http.Post(web+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %s", path, res.Status)
		}
		if out != nil {
			if err := json.NewDecoder(res.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	var brand struct {
		ID int64 `json:"id"`
	}
	post("/api/brands", `{"name":"Log Format Brand"}`, &brand)
	post("/api/prompts", fmt.Sprintf(`{"brand_id":%d,"text":"which?","targets":[{"provider":"openai","model":"gpt-4o-mini"}]}`, brand.ID), nil)
}

// On a terminal, the default is the human form.
func TestStartLogFormatOnATerminal(t *testing.T) {
	provider := deploytest.NewProvider(200, "an answer")
	t.Cleanup(provider.Close)
	s := newSandbox(t)
	s.Extra["OPENAI_API_KEY"] = "sk-test-log-format"
	s.Extra["OPENAI_BASE_URL"] = provider.URL
	for k, v := range deploymentEnv {
		s.Extra[k] = v
	}
	s.MustRun("init", "--yes", "--telemetry=false", "--provider", "openai")
	term := newTerminal(t)
	cmd := term.start(s, true, "start")
	term.waitFor("elmo-web listening on http://")
	m := listening.FindStringSubmatch(term.output())
	if m == nil {
		t.Fatalf("no address in:\n%s", term.output())
	}
	createPrompt(t, m[1])
	term.waitFor("worker | prompt processed (")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit code %d\n%s", code, term.output())
	}
	if strings.Contains(term.output(), "level=INFO") {
		t.Errorf("a structured line reached the terminal:\n%s", term.output())
	}
}
