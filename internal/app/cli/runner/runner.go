package runner

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/catalog"
)

// Exit codes of a command run.
const (
	// ExitOK is the exit code of a command that succeeded.
	ExitOK = 0
	// ExitFailure is the exit code of a command that failed.
	ExitFailure = 1
	// ExitUsage is the exit code of a command that was used wrongly: an
	// unknown command, a bad flag or argument, or an invalid value.
	ExitUsage = 2
)

// DefaultTracerName is the name of the tracer that starts command spans
// when WithTracerName is not given.
const DefaultTracerName = "github.com/elmohq/telemetry/internal/app/cli/runner"

// Annotation keys set on commands by this package.
const (
	annotationDefer   = "runner.elmohq.dev/defer"
	annotationWrapped = "runner.elmohq.dev/wrapped"
)

// Option configures a Runner.
type Option func(*config)

type config struct {
	tracerName string
	setup      func(context.Context)
}

// WithTracerName sets the name of the tracer that starts command spans,
// usually the import path of the program. The default is
// DefaultTracerName.
func WithTracerName(name string) Option { return func(c *config) { c.tracerName = name } }

// WithSetup sets a function called once, before the first span of the
// run starts: the place to start the telemetry pipeline and install the
// global tracer provider. It is not called when no command span starts.
// Its context carries the command's values but not its cancellation, so
// that a command interrupted by the user still records its span; fn
// should bound its own waits.
func WithSetup(fn func(ctx context.Context)) Option { return func(c *config) { c.setup = fn } }

// Runner executes a command tree with a span per command. A Runner runs
// one command line; it is not safe for concurrent use.
type Runner struct {
	cfg       config
	setupOnce sync.Once
	inv       *invocation
}

// New returns a Runner.
func New(opts ...Option) *Runner {
	cfg := config{tracerName: DefaultTracerName}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.tracerName == "" {
		cfg.tracerName = DefaultTracerName
	}
	return &Runner{cfg: cfg}
}

// Result is the outcome of Execute.
type Result struct {
	// Command is the command that ran or that the arguments named; nil
	// when cobra could not find one.
	Command *cobra.Command
	// Err is the error the command or the argument parsing returned.
	Err error
	// ExitCode is the process exit code for Err: ExitOK, ExitUsage or
	// ExitFailure.
	ExitCode int
}

// Execute runs root with ctx and the arguments set on it (SetArgs), ends
// the span of the command that ran and returns the outcome. An error
// returned before a command's run function started (an unknown command, a
// bad flag or argument) is a usage error; such a run still gets its span,
// with exit_code 2, when it named a command that has one.
//
// Execute neither prints the error nor exits: that is the caller's job.
func (r *Runner) Execute(ctx context.Context, root *cobra.Command) Result {
	began := time.Now()
	r.inv = nil
	r.instrument(root)
	cmd, err := root.ExecuteContextC(ctx)

	res := Result{Command: cmd, Err: err, ExitCode: ExitOK}
	inv := r.inv
	if err != nil {
		res.ExitCode = ExitFailure
		if inv == nil || IsUsage(err) {
			res.ExitCode = ExitUsage
		}
	}
	if inv == nil && cmd != nil && hasSpan(cmd) {
		// The arguments named a command but it never ran: record the
		// failed attempt in its span.
		inv = &invocation{runner: r, cmd: cmd, began: began}
		cmd.SetContext(ctx)
	}
	if inv != nil {
		inv.begin()
		inv.span.SetAttributes(catalog.KeyExitCode.Int(res.ExitCode))
		if err != nil {
			inv.span.SetStatus(codes.Error, "command failed")
		}
		inv.span.End()
	}
	return res
}

// instrument wraps the run function of every command in the tree that
// gets a span and was not wrapped yet.
func (r *Runner) instrument(c *cobra.Command) {
	if hasSpan(c) && c.Annotations[annotationWrapped] == "" {
		r.wrap(c)
	}
	for _, sub := range c.Commands() {
		r.instrument(sub)
	}
}

func (r *Runner) wrap(c *cobra.Command) {
	run := c.RunE
	if run == nil {
		plain := c.Run
		run = func(cmd *cobra.Command, args []string) error {
			plain(cmd, args)
			return nil
		}
		c.Run = nil
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		inv := &invocation{runner: r, cmd: cmd, began: time.Now()}
		r.inv = inv
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		cmd.SetContext(context.WithValue(ctx, invocationKey{}, inv))
		if !IsDeferred(cmd) {
			inv.begin()
		}
		return run(cmd, args)
	}
	setAnnotation(c, annotationWrapped, "true")
}

// hasSpan reports whether c runs in a span of its own: a runnable command
// below the root that is not one of cobra's own (help, completion) and
// does not merely group subcommands.
func hasSpan(c *cobra.Command) bool {
	if !c.Runnable() || !c.HasParent() || c.HasSubCommands() {
		return false
	}
	for p := c; p.HasParent(); p = p.Parent() {
		switch p.Name() {
		case "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			if p.Parent() == c.Root() {
				return false
			}
		}
	}
	return true
}

// SpanName returns the name of the span of cmd: catalog.EventCLIPrefix followed by
// the names of the commands from below the root down to cmd, joined by
// "_", in lower case, with "-" written as "_". The root itself has no
// span name and yields "".
func SpanName(cmd *cobra.Command) string {
	var parts []string
	for c := cmd; c != nil && c.HasParent(); c = c.Parent() {
		parts = append([]string{c.Name()}, parts...)
	}
	if len(parts) == 0 {
		return ""
	}
	name := strings.ToLower(strings.Join(parts, "_"))
	return catalog.EventCLIPrefix + strings.ReplaceAll(name, "-", "_")
}

// Defer marks cmd as starting its span itself, by calling Begin once it
// has made the choices telemetry depends on. If the command returns
// without calling Begin, its span starts when it returns. Defer returns
// cmd.
func Defer(cmd *cobra.Command) *cobra.Command {
	setAnnotation(cmd, annotationDefer, "true")
	return cmd
}

// IsDeferred reports whether cmd was marked with Defer.
func IsDeferred(cmd *cobra.Command) bool { return cmd.Annotations[annotationDefer] != "" }

// Begin starts the span of a running command marked with Defer, with the
// time the command began as its start time, and puts it in
// cmd.Context(). It first calls the setup function, once per Runner.
// Begin does nothing when the span already started or when cmd is not
// running under a Runner.
func Begin(cmd *cobra.Command) {
	ctx := cmd.Context()
	if ctx == nil {
		return
	}
	if inv, ok := ctx.Value(invocationKey{}).(*invocation); ok {
		inv.begin()
	}
}

// invocation is one run of one command.
type invocation struct {
	runner *Runner
	cmd    *cobra.Command
	began  time.Time
	span   trace.Span
}

type invocationKey struct{}

// begin runs the setup, once, then starts the span, once.
func (inv *invocation) begin() {
	if inv.span != nil {
		return
	}
	ctx := inv.cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	r := inv.runner
	r.setupOnce.Do(func() {
		if r.cfg.setup != nil {
			// An interrupted command still reports how it ended: the
			// setup does not inherit the command's cancellation.
			r.cfg.setup(context.WithoutCancel(ctx))
		}
	})
	ctx, inv.span = otel.Tracer(r.cfg.tracerName).Start(ctx, SpanName(inv.cmd),
		trace.WithTimestamp(inv.began), trace.WithSpanKind(trace.SpanKindInternal))
	inv.cmd.SetContext(ctx)
}

// usageError marks an error as a usage error.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Usage marks err as a usage error, so that the run exits with
// ExitUsage. It returns nil for a nil err.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err: err}
}

// IsUsage reports whether err, or an error it wraps, was marked with
// Usage.
func IsUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

func setAnnotation(c *cobra.Command, key, value string) {
	if c.Annotations == nil {
		c.Annotations = make(map[string]string)
	}
	c.Annotations[key] = value
}
