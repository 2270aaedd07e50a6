//go:build unix

package detach_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/elmohq/telemetry/internal/pipeline/detach"
)

func init() {
	helpers["intermediate"] = intermediateHelper
	describe = func(r *report) {
		r.FDs = listFDs() // first: it must see no descriptor of this process's own
		r.Sid, _ = unix.Getsid(0)
		r.Pgid = unix.Getpgrp()
	}
}

// intermediateHelper is a parent that starts the hold helper detached,
// releases it as the CLI does, and stays until its standard input ends
// or a signal ends it.
func intermediateHelper() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	p, err := detach.Start(exe, nil, detach.WithEnv(append(os.Environ(), helperVar+"=hold")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if err := p.Release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

func systemStartErrors(t *testing.T) []startError {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// Even root may not run a file that no one may execute.
	notExecutable := write("not-executable", "#!/bin/sh\nexit 0\n", 0o644)
	notAProgram := write("not-a-program", "neither a binary nor a script\n", 0o755)
	return []startError{
		{"not executable", notExecutable, fs.ErrPermission, notExecutable},
		{"a directory", dir, fs.ErrPermission, dir},
		{"not a program", notAProgram, syscall.ENOEXEC, notAProgram},
	}
}

// reapReleased waits for the released child pid, which is still this
// process's child, as a long-lived parent would have to: Release neither
// ended it nor reaped it.
func reapReleased(t *testing.T, pid int) {
	t.Helper()
	var ws unix.WaitStatus
	got, err := unix.Wait4(pid, &ws, 0, nil)
	if err != nil {
		t.Fatalf("wait for the released child %d: %v", pid, err)
	}
	if got != pid {
		t.Fatalf("waited for %d, got %d", pid, got)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("the released child ended with %v, want exit 0", ws)
	}
}

// The child leads a session and a process group of its own.
func TestOwnSession(t *testing.T) {
	r := runReport(t)
	parentSid, err := unix.Getsid(0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sid == parentSid {
		t.Errorf("the child is in its parent's session %d", parentSid)
	}
	if r.Sid != r.Pid || r.Pgid != r.Pid {
		t.Errorf("child %d: session %d, process group %d; want it to lead both", r.Pid, r.Sid, r.Pgid)
	}
}

// A detached child runs on when what ends its parent ends the parent's
// whole process group, or hangs up the parent's terminal. The parent
// (intermediate) starts it as the CLI does and releases it; the child
// (hold) proves it still runs by answering on a loopback connection
// after its parent has gone.
func TestOutlivesTheParent(t *testing.T) {
	tests := []struct {
		name string
		// prepare sets cmd up and returns what ends its group.
		prepare func(t *testing.T, cmd *exec.Cmd) (end func())
		// endedBy is the signal that must end the parent; 0: any end.
		endedBy syscall.Signal
	}{
		{"SIGKILL to the parent's process group", inGroup(syscall.SIGKILL), syscall.SIGKILL},
		{"SIGHUP to the parent's process group", inGroup(syscall.SIGHUP), syscall.SIGHUP},
		{"hangup of the parent's terminal", onTerminal, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := listen(t)
			cmd := exec.Command(self(t))
			cmd.Env = helperEnv("intermediate", addrVar+"="+ln.Addr().String())
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			end := tt.prepare(t, cmd)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			var waitErr error
			go func() {
				waitErr = cmd.Wait()
				close(exited)
			}()
			t.Cleanup(func() {
				// The parent leads its group, whatever happened.
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
			})

			c := accept(t, ln, exited, stderr.String)
			gone := false
			t.Cleanup(func() {
				if !gone {
					_ = syscall.Kill(c.hello.Pid, syscall.SIGKILL)
				}
			})
			parentSid, err := unix.Getsid(cmd.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			if c.hello.Sid == parentSid || c.hello.Pgid == cmd.Process.Pid {
				t.Errorf("the child (session %d, group %d) shares its parent's session %d or group %d",
					c.hello.Sid, c.hello.Pgid, parentSid, cmd.Process.Pid)
			}

			end()
			select {
			case <-exited:
			case <-time.After(guard):
				t.Fatal("the parent did not end")
			}
			if tt.endedBy != 0 {
				var exit *exec.ExitError
				ws, ok := syscall.WaitStatus(0), false
				if errors.As(waitErr, &exit) {
					ws, ok = exit.Sys().(syscall.WaitStatus)
				}
				if !ok || !ws.Signaled() || ws.Signal() != tt.endedBy {
					t.Fatalf("the parent ended with %v, not by %v: the test did not do what it means to\n%s", waitErr, tt.endedBy, stderr.String())
				}
			}

			if !c.alive() {
				t.Fatal("the detached child did not outlive its parent")
			}
			_ = c.conn.Close() // the child exits
			gone = true
		})
	}
}

// inGroup starts the parent as the leader of a process group of its own,
// which end sends sig to, as a shell does to a job.
func inGroup(sig syscall.Signal) func(*testing.T, *exec.Cmd) func() {
	return func(t *testing.T, cmd *exec.Cmd) func() {
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = stdin.Close() })
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return func() {
			if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// onTerminal starts the parent on a pseudo-terminal, as the leader of a
// session whose controlling terminal it is and in its foreground process
// group, as a shell starts the command a person types. end hangs the
// terminal up (as closing the terminal's window does): the parent gets
// SIGHUP, and so does every process in the foreground group when it ends.
func onTerminal(t *testing.T, cmd *exec.Cmd) func() {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { _ = ptmx.Close(); _ = tty.Close() })
	cmd.Stdin, cmd.Stdout = tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	return func() {
		_ = tty.Close()
		if err := ptmx.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
