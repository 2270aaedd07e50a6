package detach

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
)

// ErrReleased is returned by Process.Wait once Process.Release has been
// called: the parent has given the process up and can no longer wait for
// it.
var ErrReleased = errors.New("detach: the process was released and cannot be waited for")

// Option sets how Start starts the program.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// config holds what the options set.
type config struct {
	env    []string // nil: the parent's environment
	envSet bool
	dir    string // "": the parent's working directory
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			c = o.apply(c)
		}
	}
	return c
}

// WithEnv gives the program exactly the environment env, each entry of
// the form "key=value", in place of the parent's environment (the
// default, os.Environ()). A nil or empty env gives an empty environment
// (on Windows, os/exec still adds SYSTEMROOT, without which programs
// fail). The slice is copied.
func WithEnv(env []string) Option {
	env = append(make([]string, 0, len(env)), env...)
	return optionFunc(func(c config) config {
		c.env, c.envSet = env, true
		return c
	})
}

// WithDir runs the program in the directory dir. By default it runs in
// the parent's working directory. A relative path given to Start is
// taken relative to dir.
func WithDir(dir string) Option {
	return optionFunc(func(c config) config {
		c.dir = dir
		return c
	})
}

// Process is a program started by Start. Exactly one of Release and Wait
// is meant to be called on it: Release by a parent about to exit, Wait by
// a parent that runs on (and by tests).
type Process struct {
	cmd *exec.Cmd
	pid int // kept: os.Process forgets it on Release

	mu       sync.Mutex
	released bool
	done     chan struct{} // closed when the reaper has the exit; nil before Wait
	err      error         // the exit, once done is closed
}

// Start starts the program at path with the arguments args (not counting
// the program name, which is path) as a detached background process, as
// described in the package documentation, and returns once the process
// exists. The path is used as given, never looked up in PATH: pass the
// result of os.Executable or exec.LookPath.
//
// When the program cannot be started (the file does not exist, is not
// executable, or the system refuses to run it) Start returns an error
// that says so and wraps the system's, so that errors.Is(err,
// fs.ErrNotExist) and errors.Is(err, fs.ErrPermission) work.
func Start(path string, args []string, opts ...Option) (*Process, error) {
	if path == "" {
		return nil, errors.New("detach: no program to start: the path is empty")
	}
	cfg := newConfig(opts)
	command := func() *exec.Cmd {
		cmd := &exec.Cmd{
			Path: path,
			Args: append([]string{path}, args...),
			Dir:  cfg.dir,
			// Stdin, Stdout and Stderr stay nil: os/exec then opens the
			// null device for each, and closes the parent's copies once
			// the child has started, starting no goroutine.
		}
		if cfg.envSet {
			cmd.Env = cfg.env
		}
		return cmd
	}
	cmd, err := start(command)
	if err != nil {
		return nil, fmt.Errorf("detach: could not start %s as a background process: %w", path, err)
	}
	return &Process{cmd: cmd, pid: cmd.Process.Pid}, nil
}

// Pid returns the process ID of the program, also after Release.
func (p *Process) Pid() int { return p.pid }

// Release gives the process up: the parent will not wait for it, and the
// process runs on, whatever the parent does next. It is the call a parent
// about to exit makes (see the package documentation for why a parent
// that runs on should call Wait instead). Release frees what the parent
// holds for the process (a pidfd on Linux, a handle on Windows).
//
// Calling Release more than once does nothing more. Once Wait has been
// called, Release does nothing: the process is already being waited for.
func (p *Process) Release() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.released || p.done != nil {
		return nil
	}
	p.released = true
	if err := p.cmd.Process.Release(); err != nil {
		return fmt.Errorf("detach: could not release process %d: %w", p.pid, err)
	}
	return nil
}

// Wait waits until the process exits, and reaps it, or until ctx is done.
// It returns nil when the program exited with status 0, an error wrapping
// an *exec.ExitError when it exited otherwise, ctx's error when ctx ended
// first, and ErrReleased after Release.
//
// The first call starts a goroutine that waits for the process and ends
// when the process does; a Wait that returns because ctx is done leaves
// it running, and a later Wait returns its result.
func (p *Process) Wait(ctx context.Context) error {
	p.mu.Lock()
	if p.released {
		p.mu.Unlock()
		return ErrReleased
	}
	if p.done == nil {
		done := make(chan struct{})
		p.done = done
		go func() {
			err := p.cmd.Wait()
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
			close(done)
		}()
	}
	done := p.done
	p.mu.Unlock()

	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("detach: stopped waiting for process %d: %w", p.Pid(), context.Cause(ctx))
	}
	p.mu.Lock()
	err := p.err
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("detach: process %d (%s): %w", p.Pid(), p.cmd.Path, err)
	}
	return nil
}
