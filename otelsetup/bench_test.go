package otelsetup_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/otelsetup"
)

// discard is a span exporter that drops everything: the baseline's.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

var spanAttrs = trace.WithAttributes(
	attribute.Int("exit_code", 0),
	attribute.String("postgres_mode", "embedded"),
	attribute.Bool("has_direct_api", true),
	attribute.Bool("completed", true),
)

func spanLoop(b *testing.B, tr trace.Tracer) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, span := tr.Start(ctx, "cli_init", spanAttrs)
		span.End()
	}
}

// startBench starts the pipeline for a benchmark in the given state,
// against a capture server, and returns a stop function.
func startBench(b *testing.B, on bool, tracesExporter string) func() {
	b.Helper()
	srv := posthogtest.NewServer()
	dir := b.TempDir()
	cfg := filepath.Join(dir, "config.json")
	content := `{"telemetryDisabled": true}`
	if on {
		content = `{"telemetryDisabled": false}`
	}
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Setenv("OTEL_TRACES_EXPORTER", tracesExporter)
	b.Setenv("OTEL_METRICS_EXPORTER", "")
	vars := map[string]string{"ELMO_POSTHOG_HOST": srv.URL, "ELMO_POSTHOG_KEY": "phc_bench"}
	tel, err := otelsetup.Start(context.Background(),
		otelsetup.WithConfigPath(cfg),
		otelsetup.WithGetenv(func(k string) string { return vars[k] }),
		otelsetup.WithStderr(io.Discard),
		otelsetup.WithRole(otelsetup.RoleCLI))
	if err != nil {
		b.Fatal(err)
	}
	if tel.Enabled() != on {
		b.Fatalf("telemetry enabled = %v, want %v", tel.Enabled(), on)
	}
	return func() {
		_ = tel.Shutdown(context.Background())
		srv.Close()
	}
}

// BenchmarkSpan measures a span start and end with four attributes, each
// pipeline beside its baseline:
//
//   - off against the OpenTelemetry no-op tracer (target ratio 1.1, no
//     extra allocation);
//   - on against a bare SDK tracer provider with a batch processor and a
//     discarding exporter (target ratio 1.3). "on" exports nothing
//     (OTEL_TRACES_EXPORTER=none) so that the ratio measures what the
//     pipeline adds on the caller's path; "on/posthog" also pays for
//     turning spans into PostHog events in the background.
func BenchmarkSpan(b *testing.B) {
	b.Run("noop", func(b *testing.B) {
		spanLoop(b, tracenoop.NewTracerProvider().Tracer("bench"))
	})
	b.Run("off", func(b *testing.B) {
		stop := startBench(b, false, "")
		defer stop()
		spanLoop(b, otel.Tracer("bench"))
	})
	b.Run("sdk", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
		defer func() { _ = tp.Shutdown(context.Background()) }()
		spanLoop(b, tp.Tracer("bench"))
	})
	b.Run("on", func(b *testing.B) {
		stop := startBench(b, true, "none")
		defer stop()
		spanLoop(b, otel.Tracer("bench"))
	})
	b.Run("on/posthog", func(b *testing.B) {
		stop := startBench(b, true, "")
		defer stop()
		spanLoop(b, otel.Tracer("bench"))
	})
}

// BenchmarkCounter measures a counter Add with two attributes: the
// pipeline (with its allowlist views) against a bare SDK meter provider
// (target ratio 1.3).
func BenchmarkCounter(b *testing.B) {
	attrs := metric.WithAttributes(attribute.String("provider", "openai"), attribute.String("outcome", "ok"))
	loop := func(b *testing.B, m metric.Meter) {
		ctr, err := m.Int64Counter("prompt_runs")
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			ctr.Add(ctx, 1, attrs)
		}
	}
	b.Run("sdk", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		defer func() { _ = mp.Shutdown(context.Background()) }()
		loop(b, mp.Meter("bench"))
	})
	b.Run("on", func(b *testing.B) {
		stop := startBench(b, true, "")
		defer stop()
		loop(b, otel.Meter("bench"))
	})
}

// interleave runs each of ops in turns, a chunk of calls at a time, until
// b.N calls of each have run, and returns the time each took in all. Run
// in turns, the pipelines share whatever load the machine is under, so
// their ratio holds still where back-to-back benchmarks drift.
func interleave(b *testing.B, ops ...func()) []time.Duration {
	const chunk = 64
	total := make([]time.Duration, len(ops))
	b.ResetTimer()
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		for i, op := range ops {
			start := time.Now()
			for range n {
				op()
			}
			total[i] += time.Since(start)
		}
	}
	return total
}

// BenchmarkRatios runs each pipeline and its baseline in turns and reports
// the ratios the targets are set on: span off/noop (1.1), span on/sdk
// (1.3), counter on/sdk (1.3).
func BenchmarkRatios(b *testing.B) {
	ctx := context.Background()
	spanOp := func(tr trace.Tracer) func() {
		return func() {
			_, span := tr.Start(ctx, "cli_init", spanAttrs)
			span.End()
		}
	}
	attrs := metric.WithAttributes(attribute.String("provider", "openai"), attribute.String("outcome", "ok"))
	counterOp := func(m metric.Meter) func() {
		ctr, err := m.Int64Counter("prompt_runs")
		if err != nil {
			b.Fatal(err)
		}
		return func() { ctr.Add(ctx, 1, attrs) }
	}
	report := func(b *testing.B, total []time.Duration, name string) {
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(float64(total[0].Nanoseconds())/float64(b.N), "base-ns/op")
		b.ReportMetric(float64(total[1].Nanoseconds())/float64(b.N), "ours-ns/op")
		b.ReportMetric(float64(total[1])/float64(total[0]), name)
	}

	b.Run("span-off", func(b *testing.B) {
		stop := startBench(b, false, "")
		defer stop()
		report(b, interleave(b, spanOp(tracenoop.NewTracerProvider().Tracer("bench")), spanOp(otel.Tracer("bench"))), "off/noop")
	})
	b.Run("span-on", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
		defer func() { _ = tp.Shutdown(ctx) }()
		stop := startBench(b, true, "none")
		defer stop()
		report(b, interleave(b, spanOp(tp.Tracer("bench")), spanOp(otel.Tracer("bench"))), "on/sdk")
	})
	b.Run("counter-on", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		defer func() { _ = mp.Shutdown(ctx) }()
		stop := startBench(b, true, "")
		defer stop()
		report(b, interleave(b, counterOp(mp.Meter("bench")), counterOp(otel.Meter("bench"))), "on/sdk")
	})
}
