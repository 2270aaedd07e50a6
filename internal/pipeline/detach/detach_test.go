package detach_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/pipeline/detach"
)

// guard bounds how long a test waits for a child to do something, so that
// a broken child fails the test instead of hanging it. It is never what a
// test asserts: on a working system everything takes far less.
const guard = 2 * time.Minute

// self is the path of this test binary, which the tests start as the
// detached program.
func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// waitCtx returns a context for Wait, bounded by guard.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	t.Cleanup(cancel)
	return ctx
}

// runReport starts the report helper with opts (after an environment
// that selects it), waits for it and returns its report.
func runReport(t *testing.T, opts ...detach.Option) report {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.json")
	opts = append([]detach.Option{detach.WithEnv(helperEnv("report"))}, opts...)
	p, err := detach.Start(self(t), []string{out}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(waitCtx(t)); err != nil {
		t.Fatalf("the report helper failed: %v", err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.Pid != p.Pid() {
		t.Errorf("the report is of process %d, Pid says %d", r.Pid, p.Pid())
	}
	return r
}

// child is the other end of a hold helper's connection.
type child struct {
	t     *testing.T
	conn  net.Conn
	lines *bufio.Scanner
	hello report
}

// listen returns a loopback listener for hold helpers to dial.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// accept waits for a hold helper to dial ln and reads its hello. exited,
// when not nil, is closed if the process that should start the helper
// ends first; stderr then says why.
func accept(t *testing.T, ln net.Listener, exited <-chan struct{}, stderr func() string) *child {
	t.Helper()
	type result struct {
		conn net.Conn
		err  error
	}
	accepted := make(chan result, 1)
	go func() {
		conn, err := ln.Accept()
		accepted <- result{conn, err}
	}()
	var conn net.Conn
	select {
	case r := <-accepted:
		if r.err != nil {
			t.Fatal(r.err)
		}
		conn = r.conn
	case <-exited:
		_ = ln.Close()
		<-accepted
		t.Fatalf("the parent exited before the detached child called:\n%s", stderr())
	case <-time.After(guard):
		_ = ln.Close()
		<-accepted
		t.Fatal("the detached child never called")
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(guard)); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, conn: conn, lines: bufio.NewScanner(conn)}
	if err := json.Unmarshal([]byte(c.readLine()), &c.hello); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *child) readLine() string {
	c.t.Helper()
	if !c.lines.Scan() {
		c.t.Fatalf("the detached child hung up: %v", c.lines.Err())
	}
	return c.lines.Text()
}

// alive reports whether the child answers a ping, which proves it runs.
func (c *child) alive() bool {
	c.t.Helper()
	if _, err := c.conn.Write([]byte("ping\n")); err != nil {
		return false
	}
	return c.lines.Scan() && c.lines.Text() == "pong"
}

// startError is a program Start cannot start, and what its error must
// be and say.
type startError struct {
	name string
	path string
	is   error // nil: any error
	says string
}

func TestStartErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-program")
	tests := []startError{
		{"empty path", "", nil, "the path is empty"},
		{"missing program", missing, fs.ErrNotExist, missing},
	}
	tests = append(tests, systemStartErrors(t)...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := detach.Start(tt.path, nil)
			if err == nil {
				_ = p.Wait(waitCtx(t))
				t.Fatal("Start started it")
			}
			if p != nil {
				t.Errorf("Start returned a process with its error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			if tt.path != "" && !strings.Contains(err.Error(), "could not start") {
				t.Errorf("error %q does not say what failed", err)
			}
		})
	}
}

// The child's exit status reaches Wait.
func TestWait(t *testing.T) {
	tests := []struct {
		code string
		want int // -1: no error
	}{
		{"0", -1},
		{"3", 3},
	}
	for _, tt := range tests {
		t.Run("exit "+tt.code, func(t *testing.T) {
			p, err := detach.Start(self(t), nil, detach.WithEnv(helperEnv("exit", codeVar+"="+tt.code)))
			if err != nil {
				t.Fatal(err)
			}
			if p.Pid() <= 0 {
				t.Errorf("Pid() = %d", p.Pid())
			}
			err = p.Wait(waitCtx(t))
			var exit *exec.ExitError
			switch {
			case tt.want < 0 && err != nil:
				t.Errorf("Wait = %v, want nil", err)
			case tt.want >= 0 && !errors.As(err, &exit):
				t.Errorf("Wait = %v, want an *exec.ExitError", err)
			case tt.want >= 0 && exit.ExitCode() != tt.want:
				t.Errorf("exit code %d, want %d", exit.ExitCode(), tt.want)
			}
			// Waiting again gives the same answer.
			if again := p.Wait(waitCtx(t)); (again == nil) != (err == nil) {
				t.Errorf("second Wait = %v, first %v", again, err)
			}
			// Release after Wait does nothing.
			if err := p.Release(); err != nil {
				t.Errorf("Release after Wait = %v", err)
			}
		})
	}
}

// Start returns while the child runs: the child calls only after Start
// has returned, and runs until told to stop. A Wait whose context ends
// returns then, and a later Wait still gets the exit.
func TestStartReturnsWhileTheChildRuns(t *testing.T) {
	ln := listen(t)
	p, err := detach.Start(self(t), nil, detach.WithEnv(helperEnv("hold", addrVar+"="+ln.Addr().String())))
	if err != nil {
		t.Fatal(err)
	}
	c := accept(t, ln, nil, nil)
	if c.hello.Pid != p.Pid() {
		t.Errorf("the child says it is %d, Pid says %d", c.hello.Pid, p.Pid())
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled context = %v, want context.Canceled", err)
	}
	if !c.alive() {
		t.Fatal("the child stopped answering while it was waited for")
	}

	_ = c.conn.Close() // the hold helper exits when its connection closes
	if err := p.Wait(waitCtx(t)); err != nil {
		t.Errorf("Wait = %v, want nil", err)
	}
}

func TestRelease(t *testing.T) {
	p, err := detach.Start(self(t), nil, detach.WithEnv(helperEnv("exit", codeVar+"=0")))
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	for range 2 {
		if err := p.Release(); err != nil {
			t.Errorf("Release = %v", err)
		}
	}
	if err := p.Wait(t.Context()); !errors.Is(err, detach.ErrReleased) {
		t.Errorf("Wait after Release = %v, want ErrReleased", err)
	}
	if p.Pid() != pid {
		t.Errorf("Pid() = %d after Release, %d before", p.Pid(), pid)
	}
	reapReleased(t, pid)
}

func TestEnvAndDir(t *testing.T) {
	t.Setenv("DETACH_TEST_PARENT", "parent")
	parentDir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	otherDir := t.TempDir()
	if d, err := filepath.EvalSymlinks(otherDir); err == nil {
		otherDir = d // macOS: /var is a link to /private/var
	}
	tests := []struct {
		name       string
		opts       []detach.Option
		parentVar  bool
		dir        string
		childValue string
	}{
		{"defaults", []detach.Option{nil}, true, parentDir, ""},
		{
			"WithEnv replaces the environment",
			[]detach.Option{detach.WithEnv([]string{helperVar + "=report", "DETACH_TEST_CHILD=child", "GORACE=atexit_sleep_ms=0"})},
			false, parentDir, "child",
		},
		{"WithDir", []detach.Option{detach.WithDir(otherDir)}, true, otherDir, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runReport(t, tt.opts...)
			if got := slices.Contains(r.Env, "DETACH_TEST_PARENT=parent"); got != tt.parentVar {
				t.Errorf("the child has the parent's variable: %v, want %v", got, tt.parentVar)
			}
			if got := slices.Contains(r.Env, "DETACH_TEST_CHILD=child"); got != (tt.childValue != "") {
				t.Errorf("the child has the variable WithEnv gave: %v", got)
			}
			if r.Dir != tt.dir {
				t.Errorf("the child runs in %s, want %s", r.Dir, tt.dir)
			}
		})
	}
}
