package e2e

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
	"github.com/elmohq/telemetry/otelsetup"
)

// terminal is a pseudo-terminal that elmo runs on, as when a person types
// the command.
type terminal struct {
	t    *testing.T
	pty  *os.File // the side the test reads and types on
	tty  *os.File // the side the child gets
	out  *output
	done chan struct{}
}

func newTerminal(t *testing.T) *terminal {
	t.Helper()
	p, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this system: %v", err)
	}
	term := &terminal{t: t, pty: p, tty: tty, out: newOutput(), done: make(chan struct{})}
	go func() {
		defer close(term.done)
		_, _ = io.Copy(term.out, p)
	}()
	t.Cleanup(func() {
		_ = tty.Close()
		_ = p.Close()
		<-term.done
	})
	return term
}

// start starts elmo with stdin, stdout and stderr on the terminal, in its
// own session with the terminal as its controlling terminal.
func (term *terminal) start(s *sandbox, args ...string) *exec.Cmd {
	term.t.Helper()
	cmd := exec.Command(clitest.Elmo(), args...)
	cmd.Env = s.Environ()
	cmd.Dir = s.repo
	cmd.Stdin, cmd.Stdout, cmd.Stderr = term.tty, term.tty, term.tty
	cmd.SysProcAttr = controllingTerminal()
	if err := cmd.Start(); err != nil {
		term.t.Fatal(err)
	}
	return cmd
}

// waitFor waits until the terminal shows s.
func (term *terminal) waitFor(s string) {
	term.t.Helper()
	term.out.waitFor(term.t, "the terminal", s, 1, nil)
}

// typeLine types s and Enter.
func (term *terminal) typeLine(s string) {
	term.t.Helper()
	if _, err := io.WriteString(term.pty, s+"\r"); err != nil {
		term.t.Fatal(err)
	}
}

// wait waits for cmd to exit and fails the test unless it exits 0.
func (term *terminal) wait(cmd *exec.Cmd) {
	term.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) || err != nil {
			term.t.Fatalf("elmo on a terminal: %v\n%s", err, term.out.String())
		}
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		term.t.Fatalf("elmo on a terminal did not exit:\n%s", term.out.String())
	}
}

// answerInit runs `elmo init` on a terminal and answers its questions:
// share is the answer to the telemetry question, email the answer to the
// email question ("" skips it). No provider is set up.
func answerInit(t *testing.T, s *sandbox, share, email string) string {
	t.Helper()
	term := newTerminal(t)
	cmd := term.start(s, "init")
	// The default is yes the first time, else the earlier answer.
	term.waitFor("Share anonymous usage data? [")
	term.typeLine(share)
	term.waitFor("Email for product updates (optional):")
	term.typeLine(email)
	term.waitFor("Model providers to set up")
	term.typeLine("")
	term.wait(cmd)
	return term.out.String()
}

// "A CLI run that finds no choice recorded sends nothing: on a terminal
// it shows a short notice once, and only later runs send."
//
// Without a terminal no notice can be seen: such runs send nothing, however
// many. On a terminal the notice shows once, that run sends nothing either,
// and the next run sends.
func TestPromise_NothingSentBeforeTheNoticeOrAChoice(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("version")
	s.MustRun("telemetry", "status")
	s.assertNoRequestsSince(0, "runs without a terminal before any choice")

	term := newTerminal(t)
	cmd := term.start(s, "version")
	term.wait(cmd)
	term.waitFor("Learn more: " + otelsetup.PageURL)
	s.assertNoRequestsSince(0, "the run that showed the notice")

	res := s.MustRun("version")
	if strings.Contains(res.Stderr, "Learn more") {
		t.Errorf("the notice was shown a second time:\n%s", res.Stderr)
	}
	if evs := s.Events(1); len(posthogtest.Named(evs, "cli_version")) != 1 {
		t.Errorf("the run after the notice sent %s, want cli_version", posthogtest.Names(evs))
	}
}
