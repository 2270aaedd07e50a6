// Package prompt asks a person questions on a terminal.
//
// Every question honours its context: when the context is cancelled, for
// example because the person pressed Ctrl-C and the program turned the
// signal into a cancellation, the question returns the context's error at
// once instead of waiting for a line that may never come. Secret answers
// are read without echo when the input is a terminal, and the terminal is
// restored even when the question is interrupted.
package prompt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"
)

// ErrNoInput is wrapped by the error returned when the input ends before
// an answer.
var ErrNoInput = errors.New("no answer: the input ended")

// Option configures a Prompter.
type Option func(*Prompter)

// WithTerminal says that the input is the terminal with file descriptor
// fd, so that secrets are read without echo.
func WithTerminal(fd int) Option {
	return func(p *Prompter) { p.fd, p.terminal = fd, true }
}

// Prompter asks questions on out and reads the answers, one line each,
// from in. It is not safe for concurrent use.
type Prompter struct {
	in       *bufio.Reader
	out      io.Writer
	fd       int
	terminal bool
	pending  chan result // the read still in flight after a cancellation
}

type result struct {
	line string
	err  error
}

// New returns a Prompter that reads from in and writes questions to out.
func New(in io.Reader, out io.Writer, opts ...Option) *Prompter {
	p := &Prompter{in: bufio.NewReader(in), out: out}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Line writes question and returns the line typed in answer, without
// its line break and the spaces around it.
func (p *Prompter) Line(ctx context.Context, question string) (string, error) {
	if _, err := fmt.Fprint(p.out, question); err != nil {
		return "", err
	}
	return p.read(ctx, func() (string, error) { return p.in.ReadString('\n') })
}

// YesNo asks a yes-or-no question until the answer is one of y, yes, n or
// no, in any case; an empty answer means def.
func (p *Prompter) YesNo(ctx context.Context, question string, def bool) (bool, error) {
	hint := " [y/N] "
	if def {
		hint = " [Y/n] "
	}
	for {
		answer, err := p.Line(ctx, question+hint)
		if err != nil {
			return false, err
		}
		switch strings.ToLower(answer) {
		case "":
			return def, nil
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		if _, err := fmt.Fprintln(p.out, "Please answer y or n."); err != nil {
			return false, err
		}
	}
}

// Secret writes question and reads an answer that should not be shown:
// without echo on a terminal (see WithTerminal), else as a plain line.
func (p *Prompter) Secret(ctx context.Context, question string) (string, error) {
	if !p.terminal {
		return p.Line(ctx, question)
	}
	if _, err := fmt.Fprint(p.out, question); err != nil {
		return "", err
	}
	state, err := term.GetState(p.fd)
	if err != nil {
		return "", fmt.Errorf("cannot read from the terminal: %w", err)
	}
	line, err := p.read(ctx, func() (string, error) {
		b, err := term.ReadPassword(p.fd)
		return string(b), err
	})
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The read still waits and will never restore the echo itself.
		_ = term.Restore(p.fd, state)
	}
	_, _ = fmt.Fprintln(p.out)
	return line, err
}

// read runs readLine in a goroutine so that ctx can interrupt the wait.
// A read interrupted by ctx stays pending and its line is the answer to
// the next question, as a terminal would show it.
func (p *Prompter) read(ctx context.Context, readLine func() (string, error)) (string, error) {
	ch := p.pending
	if ch == nil {
		ch = make(chan result, 1)
		go func() {
			line, err := readLine()
			ch <- result{line, err}
		}()
	}
	select {
	case r := <-ch:
		p.pending = nil
		line := strings.TrimSpace(r.line)
		if r.err != nil {
			if errors.Is(r.err, io.EOF) {
				if line != "" {
					return line, nil
				}
				return "", ErrNoInput
			}
			return "", fmt.Errorf("cannot read the answer: %w", r.err)
		}
		return line, nil
	case <-ctx.Done():
		p.pending = ch
		return "", ctx.Err()
	}
}
