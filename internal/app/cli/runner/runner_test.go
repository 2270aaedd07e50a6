package runner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/internal/app/cli/runner"

	"github.com/elmohq/telemetry/catalog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// record installs a global tracer provider that records ended spans.
func record(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(prev)
		_ = tp.Shutdown(context.Background())
	})
	return rec
}

// tree builds: app, app run, app group sub, app deferred.
func tree(run func(*cobra.Command, []string) error) *cobra.Command {
	root := &cobra.Command{Use: "app", SilenceErrors: true, SilenceUsage: true}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return runner.Usage(err) })
	group := &cobra.Command{Use: "group"}
	group.AddCommand(&cobra.Command{Use: "sub-cmd", Args: cobra.NoArgs, RunE: run})
	root.AddCommand(
		&cobra.Command{Use: "run", Args: cobra.NoArgs, RunE: run},
		group,
		runner.Defer(&cobra.Command{Use: "deferred", RunE: run}),
	)
	return root
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestExecute(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name     string
		args     []string
		err      error
		wantCode int
		wantSpan string // "" means no span
	}{
		{"success", []string{"run"}, nil, runner.ExitOK, "cli_run"},
		{"failure", []string{"run"}, errBoom, runner.ExitFailure, "cli_run"},
		{"usage error from the command", []string{"run"}, runner.Usage(errBoom), runner.ExitUsage, "cli_run"},
		{"bad flag", []string{"run", "--nope"}, nil, runner.ExitUsage, "cli_run"},
		{"bad argument", []string{"run", "extra"}, nil, runner.ExitUsage, "cli_run"},
		{"nested command", []string{"group", "sub-cmd"}, nil, runner.ExitOK, "cli_group_sub_cmd"},
		{"unknown command", []string{"nope"}, nil, runner.ExitUsage, ""},
		{"help", []string{"help"}, nil, runner.ExitOK, ""},
		{"root", nil, nil, runner.ExitOK, ""},
		{"completion", []string{"completion", "bash"}, nil, runner.ExitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record(t)
			var setups int
			r := runner.New(runner.WithSetup(func(context.Context) { setups++ }))
			var inSpan bool
			root := tree(func(cmd *cobra.Command, _ []string) error {
				inSpan = trace.SpanFromContext(cmd.Context()).SpanContext().IsValid()
				return tt.err
			})
			root.SetArgs(tt.args)
			root.SetOut(&discard{})
			res := r.Execute(context.Background(), root)
			if res.ExitCode != tt.wantCode {
				t.Errorf("exit code = %d, want %d (err %v)", res.ExitCode, tt.wantCode, res.Err)
			}
			spans := rec.Ended()
			if tt.wantSpan == "" {
				if len(spans) != 0 || setups != 0 {
					t.Errorf("got %d spans and %d setups, want none", len(spans), setups)
				}
				return
			}
			if len(spans) != 1 || setups != 1 {
				t.Fatalf("got %d spans and %d setups, want 1 each", len(spans), setups)
			}
			s := spans[0]
			if s.Name() != tt.wantSpan {
				t.Errorf("span name = %q, want %q", s.Name(), tt.wantSpan)
			}
			if got := attrs(s)[catalog.KeyExitCode].AsInt64(); got != int64(tt.wantCode) {
				t.Errorf("exit_code = %d, want %d", got, tt.wantCode)
			}
			wantStatus := codes.Unset
			if tt.wantCode != 0 {
				wantStatus = codes.Error
			}
			if s.Status().Code != wantStatus {
				t.Errorf("status = %v, want %v", s.Status().Code, wantStatus)
			}
			if res.ExitCode != runner.ExitUsage || tt.err != nil {
				if !inSpan {
					t.Errorf("the command did not run inside its span")
				}
			}
		})
	}
}

func TestDeferredCommandStartsItsSpanWhenReady(t *testing.T) {
	rec := record(t)
	var setupAt, beganAt time.Time
	r := runner.New(runner.WithSetup(func(context.Context) { setupAt = time.Now() }))
	root := tree(func(cmd *cobra.Command, _ []string) error {
		beganAt = time.Now()
		if trace.SpanFromContext(cmd.Context()).SpanContext().IsValid() {
			t.Error("a deferred command runs in a span before Begin")
		}
		if !setupAt.IsZero() {
			t.Error("setup ran before Begin")
		}
		runner.Begin(cmd)
		runner.Begin(cmd) // a second call does nothing
		trace.SpanFromContext(cmd.Context()).SetAttributes(attribute.Bool("chosen", true))
		return nil
	})
	root.SetArgs([]string{"deferred"})
	if res := r.Execute(context.Background(), root); res.Err != nil {
		t.Fatal(res.Err)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1", len(spans))
	}
	s := spans[0]
	if !attrs(s)["chosen"].AsBool() {
		t.Errorf("attribute set after Begin is missing: %v", s.Attributes())
	}
	if !s.StartTime().Before(beganAt) {
		t.Errorf("span starts at %v, after the command began at %v", s.StartTime(), beganAt)
	}
}

func TestDeferredCommandThatNeverBegins(t *testing.T) {
	rec := record(t)
	setups := 0
	r := runner.New(runner.WithSetup(func(context.Context) { setups++ }))
	root := tree(func(*cobra.Command, []string) error { return errors.New("failed early") })
	root.SetArgs([]string{"deferred"})
	res := r.Execute(context.Background(), root)
	if res.ExitCode != runner.ExitFailure || setups != 1 || len(rec.Ended()) != 1 {
		t.Errorf("exit %d, %d setups, %d spans; want 1, 1, 1", res.ExitCode, setups, len(rec.Ended()))
	}
}

func TestSetupIgnoresCancellation(t *testing.T) {
	record(t)
	var setupErr error
	r := runner.New(runner.WithSetup(func(ctx context.Context) { setupErr = ctx.Err() }))
	ctx, cancel := context.WithCancel(context.Background())
	root := tree(func(cmd *cobra.Command, _ []string) error {
		cancel()
		return cmd.Context().Err()
	})
	root.SetArgs([]string{"deferred"})
	res := r.Execute(ctx, root)
	if !errors.Is(res.Err, context.Canceled) || res.ExitCode != runner.ExitFailure {
		t.Errorf("result = %+v, want a cancelled failure", res)
	}
	if setupErr != nil {
		t.Errorf("setup got a cancelled context: %v", setupErr)
	}
}

func TestSpanName(t *testing.T) {
	root := tree(nil)
	for path, want := range map[string]string{
		"":              "",
		"run":           "cli_run",
		"group sub-cmd": "cli_group_sub_cmd",
	} {
		cmd, _, err := root.Find(splitArgs(path))
		if err != nil {
			t.Fatal(err)
		}
		if got := runner.SpanName(cmd); got != want {
			t.Errorf("SpanName(%q) = %q, want %q", path, got, want)
		}
	}
}

func splitArgs(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func TestUsage(t *testing.T) {
	if runner.Usage(nil) != nil {
		t.Error("Usage(nil) != nil")
	}
	base := errors.New("bad value")
	err := runner.Usage(base)
	if !runner.IsUsage(err) || !errors.Is(err, base) || err.Error() != "bad value" {
		t.Errorf("Usage(%v) = %v", base, err)
	}
	if runner.IsUsage(base) {
		t.Error("a plain error is a usage error")
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
