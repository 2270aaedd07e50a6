package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
	"github.com/elmohq/telemetry/otelsetup"
)

// terminal is a pseudo-terminal the binary runs on.
type terminal struct {
	t      *testing.T
	pty    *os.File // the side the test reads and types on
	tty    *os.File // the side the child gets
	mu     sync.Mutex
	out    bytes.Buffer
	change chan struct{}
	done   chan struct{}
}

func newTerminal(t *testing.T) *terminal {
	t.Helper()
	p, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this system: %v", err)
	}
	term := &terminal{t: t, pty: p, tty: tty, change: make(chan struct{}), done: make(chan struct{})}
	go term.read()
	t.Cleanup(func() {
		_ = tty.Close()
		_ = p.Close()
		<-term.done
	})
	return term
}

func (term *terminal) read() {
	defer close(term.done)
	buf := make([]byte, 4096)
	for {
		n, err := term.pty.Read(buf)
		term.mu.Lock()
		term.out.Write(buf[:n])
		close(term.change)
		term.change = make(chan struct{})
		term.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// output returns everything the child wrote to the terminal so far.
func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// waitFor waits until the terminal shows s.
func (term *terminal) waitFor(s string) {
	term.t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		term.mu.Lock()
		found, change := strings.Contains(term.out.String(), s), term.change
		term.mu.Unlock()
		if found {
			return
		}
		select {
		case <-change:
		case <-timeout.C:
			term.t.Fatalf("the terminal never showed %q; it shows:\n%s", s, term.output())
		}
	}
}

func (term *terminal) typeLine(s string) {
	term.t.Helper()
	if _, err := io.WriteString(term.pty, s+"\r"); err != nil {
		term.t.Fatal(err)
	}
}

// start starts elmo with its stdin and stderr (and, with all, stdout) on
// the terminal, as its own session with the terminal as controlling
// terminal.
func (term *terminal) start(s *sandbox, stdinToo bool, args ...string) *exec.Cmd {
	term.t.Helper()
	cmd := exec.Command(clitest.Elmo(), args...)
	cmd.Env = s.Environ(nil)
	cmd.Stderr = term.tty
	if stdinToo {
		cmd.Stdin, cmd.Stdout = term.tty, term.tty
		cmd.SysProcAttr = controllingTerminal()
	}
	if err := cmd.Start(); err != nil {
		term.t.Fatal(err)
	}
	return cmd
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("elmo did not exit")
		return -1
	}
}

func TestFirstRunNotice(t *testing.T) {
	s := newSandbox(t)
	term := newTerminal(t)

	cmd := term.start(s, false, "version")
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d\n%s", code, term.output())
	}
	term.waitFor("elmo telemetry disable")
	s.AssertNoRequests()
	if _, ok := s.Config()["telemetryNoticeVersion"]; !ok {
		t.Errorf("config.json does not record the notice: %v", s.Config())
	}

	// The notice is shown once; the next run sends.
	res := s.MustRun("version")
	if strings.Contains(res.Stderr, "elmo telemetry disable") {
		t.Errorf("the notice was shown again:\n%s", res.Stderr)
	}
	if evs := s.Events(1); len(posthogtest.Named(evs, "cli_version")) != 1 {
		t.Errorf("events = %s, want cli_version", posthogtest.Names(evs))
	}
}

// The notice names what PostHog records and links to the telemetry page;
// status, run as the first command, says in one consistent line that the
// notice was shown just now.
func TestFirstRunNoticeWithStatus(t *testing.T) {
	s := newSandbox(t)
	term := newTerminal(t)
	cmd := term.start(s, true, "telemetry", "status")
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d\n%s", code, term.output())
	}
	term.waitFor("What is collected and how to see what was sent: " + otelsetup.PageURL)
	out := term.output()
	for _, want := range []string{"IP", "Learn more: " + otelsetup.PageURL, "shown just now", otelsetup.PageURL} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not shown yet") {
		t.Errorf("status says the notice was not shown though it was:\n%s", out)
	}
	s.AssertNoRequests()
}

func TestFirstRunNoticeNotInCI(t *testing.T) {
	s := newSandbox(t)
	s.Extra["CI"] = "true"
	term := newTerminal(t)
	cmd := term.start(s, false, "version")
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	s.MustRun("version")
	s.AssertNoRequests()
	if strings.Contains(term.output(), "elmo telemetry disable") {
		t.Errorf("the notice was shown with CI set:\n%s", term.output())
	}
	// Positive control: the same runs after consent send.
	s.WriteConfig(consentGiven)
	s.MustRun("version")
	s.Events(1)
}

func TestInitInteractive(t *testing.T) {
	s := newSandbox(t)
	term := newTerminal(t)
	cmd := term.start(s, true, "init")

	term.waitFor("Share anonymous usage data? [Y/n]")
	term.typeLine("n")
	term.waitFor("Email for product updates (optional):")
	term.typeLine("not-an-email")
	term.waitFor("is not an email address")
	term.typeLine("a@b.example")
	term.waitFor("Model providers to set up")
	term.typeLine("")
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d\n%s", code, term.output())
	}
	if got := s.Config()["telemetryDisabled"]; got != true {
		t.Errorf("config.json telemetryDisabled = %v, want true after answering n", got)
	}
	if !strings.Contains(s.EnvFile(), "DISABLE_TELEMETRY=1") {
		t.Errorf(".env lacks DISABLE_TELEMETRY=1:\n%s", s.EnvFile())
	}
	// Telemetry is off: only the signup, keyed by the email.
	s.Events(1)
	n, _ := settle(s)
	if evs := s.Server.Events(); len(evs) != 1 || evs[0].Event != "newsletter_signup" || evs[0].DistinctID != "a@b.example" {
		t.Errorf("events = %s, want one newsletter_signup keyed by the email", posthogtest.Names(evs))
	}
	if n != 1 {
		t.Errorf("server got %d requests, want 1", n)
	}
}

// Answering "openai, ollama" sets up both: the key of one, the address of
// the other (Enter keeps the usual one).
func TestInitInteractiveOllama(t *testing.T) {
	s := newSandbox(t)
	term := newTerminal(t)
	cmd := term.start(s, true, "init")
	term.waitFor("Share anonymous usage data? [Y/n]")
	term.typeLine("n")
	term.waitFor("Email for product updates (optional):")
	term.typeLine("")
	term.waitFor("Model providers to set up")
	term.typeLine("openai, ollama")
	term.waitFor("OPENAI_API_KEY:")
	term.typeLine("sk-test-interactive")
	term.waitFor("OLLAMA_BASE_URL (Enter for http://127.0.0.1:11434/v1):")
	term.typeLine("")
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit code %d\n%s", code, term.output())
	}
	env := s.EnvFile()
	for _, want := range []string{"OPENAI_API_KEY=sk-test-interactive\n", "OLLAMA_BASE_URL=http://127.0.0.1:11434/v1\n"} {
		if !strings.Contains(env, want) {
			t.Errorf(".env lacks %q:\n%s", want, env)
		}
	}
	// The summary lists both.
	term.waitFor("ollama, openai")
}

func TestInterruptedInitExitsAndSends(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	term := newTerminal(t)
	cmd := term.start(s, true, "init")
	term.waitFor("Share anonymous usage data? [Y/n]")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != 1 {
		t.Errorf("exit code after Ctrl-C = %d, want 1", code)
	}
	// The span of the interrupted command is delivered on the way out.
	evs := s.Events(1)
	init := posthogtest.Named(evs, "cli_init")
	if len(init) != 1 {
		t.Fatalf("events = %s, want cli_init", posthogtest.Names(evs))
	}
	if p := init[0].Properties; p["failed_step"] != "consent" || p["completed"] != false {
		t.Errorf("cli_init failed_step = %v, completed = %v; want consent, false", p["failed_step"], p["completed"])
	}
	if _, err := os.Stat(s.EnvPath()); err == nil {
		t.Errorf("an init interrupted at the first question wrote .env")
	}
}

// TestReinitInteractiveDefaultsToTheEarlierAnswer re-runs elmo init on a
// terminal after a choice was made: the question defaults to that answer,
// so pressing Enter keeps it; answering changes it.
func TestReinitInteractiveDefaultsToTheEarlierAnswer(t *testing.T) {
	tests := []struct {
		name     string
		before   []string // the run that made the earlier choice
		question string   // as the terminal shows it
		answer   string
		on       bool
	}{
		{"off, Enter keeps it", []string{"telemetry", "disable"}, "Share anonymous usage data? [y/N]", "", false},
		{"off, y changes it", []string{"telemetry", "disable"}, "Share anonymous usage data? [y/N]", "y", true},
		{"on, Enter keeps it", []string{"telemetry", "enable"}, "Share anonymous usage data? [Y/n]", "", true},
		{"on, n changes it", []string{"telemetry", "enable"}, "Share anonymous usage data? [Y/n]", "n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			s.MustRun("init", "--yes")
			s.MustRun(tt.before...)
			// What the earlier runs send arrives after them.
			n, nEvents := settle(s)

			term := newTerminal(t)
			cmd := term.start(s, true, "init")
			term.waitFor("press Enter to keep it.")
			term.waitFor(tt.question)
			term.typeLine(tt.answer)
			term.waitFor("Email for product updates (optional):")
			term.typeLine("")
			term.waitFor("Model providers to set up")
			term.typeLine("")
			if code := exitCode(t, cmd); code != 0 {
				t.Fatalf("exit code %d\n%s", code, term.output())
			}
			if got := s.Config()["telemetryDisabled"]; got != !tt.on {
				t.Errorf("config.json telemetryDisabled = %v, want %v", got, !tt.on)
			}
			if got := strings.Contains(s.EnvFile(), "DISABLE_TELEMETRY=1"); got == tt.on {
				t.Errorf(".env sets DISABLE_TELEMETRY=1: %v, want %v:\n%s", got, !tt.on, s.EnvFile())
			}
			settle(s)
			if tt.on {
				if evs := s.Server.Events()[nEvents:]; len(posthogtest.Named(evs, "cli_init")) == 0 {
					t.Errorf("control: the re-init with telemetry on sent no cli_init; events %s", posthogtest.Names(evs))
				}
			} else if reqs := s.Server.Requests()[n:]; len(reqs) != 0 {
				t.Errorf("the re-init sent %d requests with telemetry off", len(reqs))
			}
		})
	}
}
