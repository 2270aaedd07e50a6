package lifeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
)

// EnvVar names the variable that tells a service which inherited file
// descriptor is the read end of its lifeline.
const EnvVar = "ELMO_LIFELINE_FD"

// ErrParentGone is the cause of the context returned by Watch when the
// process that started the service has ended.
var ErrParentGone = errors.New("the elmo start that ran this service has ended")

// Line is the parent's end of one service's lifeline.
type Line struct {
	r, w *os.File
}

// Attach gives cmd, before it starts, a lifeline to the calling process:
// the read end of a pipe among its ExtraFiles, named by EnvVar in its
// environment, and on Linux the parent-death signal SIGTERM. cmd.Env must
// be set. Call Started once cmd has started (or failed to), and Close to
// let the service go.
//
// Linux sends the parent-death signal when the thread that started the
// process ends, not the process: the caller should start cmd, and wait
// for it, from a goroutine locked to its thread (runtime.LockOSThread).
// The pipe does not depend on threads.
//
// Where a pipe cannot be passed (Windows), Attach returns a Line that does
// nothing.
func Attach(cmd *exec.Cmd) (*Line, error) {
	if cmd.Env == nil {
		return nil, errors.New("lifeline: the command's environment must be set")
	}
	if !supported {
		return &Line{}, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("creating the lifeline pipe: %w", err)
	}
	fd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, r)
	cmd.Env = append(cmd.Env, EnvVar+"="+strconv.Itoa(fd))
	setParentDeathSignal(cmd)
	return &Line{r: r, w: w}, nil
}

// Started closes the parent's copy of the read end, which the service now
// holds. It is safe to call more than once.
func (l *Line) Started() {
	if l.r != nil {
		_ = l.r.Close()
		l.r = nil
	}
}

// Close closes the write end: the service reads end-of-file and stops.
// It is safe to call more than once.
func (l *Line) Close() error {
	l.Started()
	if l.w == nil {
		return nil
	}
	err := l.w.Close()
	l.w = nil
	return err
}

// Watch returns a context derived from ctx that also ends, with cause
// ErrParentGone, when the lifeline whose descriptor getenv(EnvVar) names
// closes; and a function that stops watching and releases the
// descriptor, which must be called. Without the variable, it returns ctx
// itself: a service started by hand is unaffected. When the variable does
// not name a pipe, it returns ctx and an error saying so.
func Watch(ctx context.Context, getenv func(string) string) (context.Context, func(), error) {
	v := getenv(EnvVar)
	if v == "" {
		return ctx, func() {}, nil
	}
	f, err := openPipe(v)
	if err != nil {
		return ctx, func() {}, fmt.Errorf("%s=%s: %w", EnvVar, v, err)
	}
	wctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		for {
			// The parent never writes: a read returns only at end of file,
			// when the parent has gone, or when release closes f.
			if _, err := f.Read(buf); err != nil {
				if !errors.Is(err, os.ErrClosed) {
					cancel(ErrParentGone)
				}
				return
			}
		}
	}()
	var once sync.Once
	release := func() {
		once.Do(func() {
			_ = f.Close()
			<-done
			cancel(context.Canceled)
		})
	}
	return wctx, release, nil
}
