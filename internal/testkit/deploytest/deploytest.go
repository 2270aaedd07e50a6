// Package deploytest provides what tests of the local deployment's
// programs share: building the programs, running them as processes with a
// clean environment, watching their output, and a loopback model provider
// that speaks the OpenAI-compatible chat-completions API.
package deploytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/pipeline/userdir"
)

// Build compiles the main packages (import paths such as
// "github.com/elmohq/telemetry/cmd/elmo-web") into dir with the go build
// flags flags (such as "-race") and returns the paths of the programs by
// name. It is the one place tests build this module's programs.
func Build(dir string, flags []string, pkgs ...string) (map[string]string, error) {
	args := append([]string{"build", "-o", dir + string(os.PathSeparator)}, flags...)
	args = append(args, pkgs...)
	cmd := exec.Command("go", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build %s: %w\n%s", strings.Join(pkgs, " "), err, out.String())
	}
	bins := make(map[string]string, len(pkgs))
	for _, p := range pkgs {
		name := p[strings.LastIndex(p, "/")+1:]
		bins[name] = filepath.Join(dir, name)
	}
	return bins, nil
}

// BaseEnv returns a clean environment for a program under test: PATH and
// the Go temporary directory from the test process, HOME,
// XDG_CONFIG_HOME, XDG_STATE_HOME and ELMO_DIR under root, and nothing
// else, so that no setting of the machine running the tests leaks in.
func BaseEnv(root string) map[string]string {
	return map[string]string{
		"PATH":                os.Getenv("PATH"),
		"HOME":                filepath.Join(root, "home"),
		userdir.VarConfigHome: filepath.Join(root, "config"),
		userdir.VarStateHome:  filepath.Join(root, "state"),
		deployment.VarElmoDir: filepath.Join(root, "elmo"),
		"TMPDIR":              os.TempDir(),
	}
}

// Environ turns env into KEY=value strings, sorted.
func Environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// WriteEnvFile writes env as a .env file at path.
func WriteEnvFile(path string, env map[string]string) error {
	var b strings.Builder
	b.WriteString("# written by a test\n")
	for _, kv := range Environ(env) {
		b.WriteString(kv + "\n")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// ClosedURL returns the URL of a loopback port that nothing listens on:
// connections to it are refused.
func ClosedURL() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", err
	}
	return "http://" + addr, nil
}

// Lines records the lines written to it and lets tests wait for one. It is
// safe for concurrent use.
type Lines struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	changed chan struct{}
}

// NewLines returns an empty Lines.
func NewLines() *Lines { return &Lines{changed: make(chan struct{})} }

// Write records the complete lines in p.
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
		added = true
	}
	if added {
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

// All returns the lines recorded so far.
func (l *Lines) All() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// String returns the lines recorded so far, joined.
func (l *Lines) String() string { return strings.Join(l.All(), "\n") }

// WaitForN blocks until n lines containing every one of parts have been
// recorded, or returns ctx's error.
func (l *Lines) WaitForN(ctx context.Context, n int, parts ...string) error {
	seen, found := 0, 0
	for {
		l.mu.Lock()
		for ; seen < len(l.lines); seen++ {
			if containsAll(l.lines[seen], parts) {
				found++
			}
		}
		changed := l.changed
		l.mu.Unlock()
		if found >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d lines with %q: %w", found, n, parts, ctx.Err())
		}
	}
}

// WaitFor blocks until a line containing every one of parts has been
// recorded, and returns it, or returns ctx's error.
func (l *Lines) WaitFor(ctx context.Context, parts ...string) (string, error) {
	seen := 0
	for {
		l.mu.Lock()
		for ; seen < len(l.lines); seen++ {
			if containsAll(l.lines[seen], parts) {
				line := l.lines[seen]
				l.mu.Unlock()
				return line, nil
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return "", fmt.Errorf("no line with %q: %w", parts, ctx.Err())
		}
	}
}

// WaitForCount blocks until n lines containing every one of parts have
// been recorded, or returns ctx's error.
func (l *Lines) WaitForCount(ctx context.Context, n int, parts ...string) error {
	for {
		l.mu.Lock()
		found := 0
		for _, line := range l.lines {
			if containsAll(line, parts) {
				found++
			}
		}
		changed := l.changed
		l.mu.Unlock()
		if found >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d lines with %q: %w", found, n, parts, ctx.Err())
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// Process is a program under test.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	// Output holds the lines of its standard output and error.
	Output *Lines
}

// Start starts the program at path with exactly env as its environment.
func Start(path string, env map[string]string) (*Process, error) {
	p := &Process{Output: NewLines(), done: make(chan struct{})}
	p.cmd = exec.Command(path)
	p.cmd.Env = Environ(env)
	p.cmd.Stdout, p.cmd.Stderr = p.Output, p.Output
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Stop sends SIGTERM and waits for the program to exit, killing it when
// ctx ends first. It returns the exit error: nil for status 0.
func (p *Process) Stop(ctx context.Context) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.Join(fmt.Errorf("killed: it did not stop: %w", ctx.Err()), p.err)
	}
}

// Signal sends the program sig.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Err waits for the program to exit and returns its exit error: nil for
// status 0.
func (p *Process) Err() error {
	<-p.done
	return p.err
}

// Output of a finished process, for failure messages.
var _ io.Writer = (*Lines)(nil)

// waitTimeout is a generous bound on one step of a test on a busy
// machine; it is a safety net, not an assertion of speed.
const waitTimeout = 2 * time.Minute

// Context returns a context that ends after a generous safety bound.
func Context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), waitTimeout)
}
