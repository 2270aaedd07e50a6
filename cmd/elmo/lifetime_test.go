//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/app/launch"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// stopBound is how long the services of a deployment may outlive a
// signal to elmo start.
const stopBound = 2 * time.Second

// foreground is an `elmo start` running in the foreground.
type foreground struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	// done is closed once the output has been read to its end.
	done chan struct{}
}

// startForeground runs `elmo start` in s with the web app on addr, and
// returns once the web app listens.
func startForeground(t *testing.T, s *sandbox, addr string) *foreground {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	extra := map[string]string{}
	for k, v := range deploymentEnv {
		extra[k] = v
	}
	extra["WEB_ADDR"] = addr
	cmd := exec.CommandContext(ctx, clitest.Elmo(), "start")
	cmd.Env = s.Environ(extra)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	f := &foreground{t: t, cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = f.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for f.url == "" && lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			f.url = m[1]
		}
	}
	go func() { // keep reading, so the services never block on output
		defer close(f.done)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	if f.url == "" {
		<-f.done
		_ = cmd.Wait()
		t.Fatalf("elmo-web never said where it listens; stderr:\n%s", f.stderr)
	}
	return f
}

// state waits until elmo start has recorded both services and returns
// its state. The web app may say where it listens before the worker is
// recorded; a file offers nothing to wait on, so it polls.
func (f *foreground) state(dir string) launch.State {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := launch.ReadState(dir)
		if err == nil && st.PID == f.cmd.Process.Pid && len(st.Services) == 2 {
			return st
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("the state file says %+v, %v; want elmo start's pid %d and two services", st, err, f.cmd.Process.Pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait waits for elmo start to exit and returns how it ended.
func (f *foreground) wait() error {
	<-f.done
	return f.cmd.Wait()
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// waitGone waits until every process in pids has ended, or fails the
// test at deadline. Orphans are not the test's children: there is
// nothing to wait on but their state.
func waitGone(t *testing.T, pids map[string]int, deadline time.Time) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var left []string
		for name, pid := range pids {
			if !deploytest.Gone(pid) {
				left = append(left, fmt.Sprintf("%s (pid %d)", name, pid))
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still running %v after the signal: %s", stopBound, strings.Join(left, ", "))
		}
		<-tick.C
	}
}

// TestServicesNeverOutliveStart sends elmo start each signal that ends
// it: Ctrl-C, SIGTERM, a closed terminal (SIGHUP) and SIGKILL, which
// leaves it no chance to stop the services. Within two seconds no service
// of the deployment runs, the port is free, and the next elmo start runs.
func TestServicesNeverOutliveStart(t *testing.T) {
	tests := []struct {
		sig      syscall.Signal
		graceful bool // elmo start stops the services itself and exits 0
	}{
		{syscall.SIGINT, true},
		{syscall.SIGTERM, true},
		{syscall.SIGHUP, true},
		{syscall.SIGKILL, false},
	}
	for _, tt := range tests {
		t.Run(tt.sig.String(), func(t *testing.T) {
			s := newSandbox(t)
			s.MustRun("init", "--yes", "--telemetry=false")
			addr := freeAddr(t)
			f := startForeground(t, s, addr)
			st := f.state(s.Dir)
			pids := map[string]int{}
			for _, svc := range st.Services {
				pids[svc.Name] = svc.PID
			}
			t.Cleanup(func() {
				// A failed run leaves no service behind.
				for _, pid := range pids {
					if !deploytest.Gone(pid) {
						_ = syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			})

			if err := f.cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(stopBound)
			err := f.wait()
			if tt.graceful {
				if err != nil || !strings.Contains(f.stderr.String(), "Stopped.") {
					t.Errorf("elmo start ended with %v after %v; want a clean stop; stderr:\n%s", err, tt.sig, f.stderr)
				}
			} else if ws, ok := f.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != tt.sig {
				t.Errorf("elmo start ended with %v, want killed by %v", err, tt.sig)
			}
			waitGone(t, pids, deadline)

			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatalf("the web app's port is still taken: %v", err)
			}
			ln.Close()

			if !tt.graceful {
				// A killed elmo start leaves its state file as it was;
				// the kernel has released the lock itself.
				if left, err := launch.ReadState(s.Dir); err != nil || left.PID != st.PID {
					t.Errorf("the state file after the kill says %+v, %v; want the killed pid %d", left, err, st.PID)
				}
			}
			next := startForeground(t, s, addr)
			if now, err := launch.ReadState(s.Dir); err != nil || now.PID != next.cmd.Process.Pid {
				t.Errorf("the state file says %+v, %v; want the next elmo start's pid %d", now, err, next.cmd.Process.Pid)
			}
			if err := next.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			if err := next.wait(); err != nil {
				t.Errorf("the next elmo start ended with %v; stderr:\n%s", err, next.stderr)
			}
		})
	}
}

// TestSecondStartSaysAlreadyRunning starts a deployment, tries to start
// it again, in the foreground and in the background, and stops the first
// with elmo stop.
func TestSecondStartSaysAlreadyRunning(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes", "--telemetry=false")
	f := startForeground(t, s, "127.0.0.1:0")

	for _, args := range [][]string{{"start"}, {"start", "--detach"}} {
		res := s.Run(args...)
		if res.Code == 0 {
			t.Errorf("elmo %s while the deployment runs exited 0", strings.Join(args, " "))
		}
		for _, want := range []string{"already running", fmt.Sprintf("pid %d", f.cmd.Process.Pid), f.url, "elmo stop"} {
			if !strings.Contains(res.Stderr, want) {
				t.Errorf("elmo %s said %q; want it to say %q", strings.Join(args, " "), res.Stderr, want)
			}
		}
	}

	res := s.MustRun("stop")
	if !strings.Contains(res.Stdout, "Stopped the deployment") {
		t.Errorf("elmo stop said %q", res.Stdout)
	}
	if err := f.wait(); err != nil || !strings.Contains(f.stderr.String(), "Stopped.") {
		t.Errorf("elmo start ended with %v after elmo stop; stderr:\n%s", err, f.stderr)
	}
	if res := s.MustRun("stop"); !strings.Contains(res.Stdout, "not running") {
		t.Errorf("a second elmo stop said %q, want that it is not running", res.Stdout)
	}
}

// TestClosingTheTerminalStopsTheDeployment runs elmo start on a terminal
// and closes the terminal, as closing its window does: the kernel hangs
// up and elmo start stops the services cleanly.
func TestClosingTheTerminalStopsTheDeployment(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes", "--telemetry=false")
	addr := freeAddr(t)
	for k, v := range deploymentEnv {
		s.Extra[k] = v
	}
	s.Extra["WEB_ADDR"] = addr
	term := newTerminal(t)
	cmd := term.start(s, true, "start")
	term.waitFor("elmo-web listening on")
	st := (&foreground{t: t, cmd: cmd}).state(s.Dir)
	pids := map[string]int{}
	for _, svc := range st.Services {
		pids[svc.Name] = svc.PID
	}

	// The terminal is gone once the last descriptor of its master side
	// closes. The reader's pending read keeps the descriptor until it
	// returns: a last byte from the other side lets it return.
	if err := term.pty.Close(); err != nil {
		t.Fatal(err)
	}
	_, _ = term.tty.Write([]byte("\n"))
	_ = term.tty.Close()
	<-term.done
	deadline := time.Now().Add(stopBound)
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("elmo start exited %d when its terminal closed, want 0 after a clean stop", code)
	}
	waitGone(t, pids, deadline)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the web app's port is still taken: %v", err)
	}
	ln.Close()
}
