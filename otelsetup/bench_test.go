package otelsetup_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/google/uuid"
	"github.com/posthog/posthog-go"

	"github.com/elmohq/telemetry/catalog"
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
// against a capture server, with OTEL_TRACES_EXPORTER and
// OTEL_METRICS_EXPORTER set to tracesExporter and metricsExporter, and
// returns it, its server and a stop function.
func startBench(b *testing.B, on bool, tracesExporter, metricsExporter string, extra ...string) (*otelsetup.Telemetry, *posthogtest.Server, func()) {
	b.Helper()
	return startBenchAs(b, otelsetup.RoleCLI, on, tracesExporter, metricsExporter, extra...)
}

// startBenchAs is startBench in the given role. A deployment service
// delivers inside the export; the CLI only writes the spool.
func startBenchAs(b *testing.B, role otelsetup.Role, on bool, tracesExporter, metricsExporter string, extra ...string) (*otelsetup.Telemetry, *posthogtest.Server, func()) {
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
	b.Setenv("OTEL_METRICS_EXPORTER", metricsExporter)
	// The OTLP route exports only at shutdown, to a port nothing serves.
	b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
	b.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "100")
	vars := map[string]string{"ELMO_POSTHOG_HOST": srv.URL, "ELMO_POSTHOG_KEY": "phc_bench", "XDG_STATE_HOME": dir}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	opts := []otelsetup.Option{
		otelsetup.WithConfigPath(cfg),
		otelsetup.WithGetenv(func(k string) string { return vars[k] }),
		otelsetup.WithStderr(io.Discard),
		otelsetup.WithStdout(io.Discard),
		otelsetup.WithRole(role),
	}
	if role == otelsetup.RoleDeployment {
		if !on {
			vars["DISABLE_TELEMETRY"] = "1"
		}
		vars["DEPLOYMENT_ID"] = "3b0f2a9e-6c1d-4e8f-a7b5-9d2c4e6f8a1b"
		opts = append(opts, otelsetup.WithServiceName(catalog.ServiceWorker))
	}
	tel, err := otelsetup.Start(context.Background(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	if tel.Enabled() != on {
		b.Fatalf("telemetry enabled = %v, want %v", tel.Enabled(), on)
	}
	return tel, srv, func() {
		_ = tel.Shutdown(context.Background())
		srv.Close()
	}
}

// BenchmarkSpan measures a span start and end with four attributes, each
// pipeline beside its baseline:
//
//   - off against the OpenTelemetry no-op tracer (target ratio 1.1, no
//     extra allocation);
//   - on (exporting nothing) against a bare SDK tracer provider with a
//     batch processor and a discarding exporter. BenchmarkRatios holds
//     the targets, with spans exported and delivered on both sides.
func BenchmarkSpan(b *testing.B) {
	b.Run("noop", func(b *testing.B) {
		spanLoop(b, tracenoop.NewTracerProvider().Tracer("bench"))
	})
	b.Run("off", func(b *testing.B) {
		_, _, stop := startBench(b, false, "", "")
		defer stop()
		spanLoop(b, otel.Tracer("bench"))
	})
	b.Run("sdk", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
		defer func() { _ = tp.Shutdown(context.Background()) }()
		spanLoop(b, tp.Tracer("bench"))
	})
	b.Run("on", func(b *testing.B) {
		_, _, stop := startBench(b, true, "none", "none")
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
		_, _, stop := startBench(b, true, "", "")
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
// the ratios the targets are set on:
//
//   - span-off: telemetry off against the no-op tracer (1.1);
//   - span-on: a span on the caller's path, telemetry on, with each span
//     turned into a PostHog event and encoded in the background, against
//     a bare SDK whose batch processor's exporter does the same (1.3);
//   - span-delivered: spans delivered to the last acknowledgement, in
//     turns of spanChunk spans: the pipeline (ForceFlush) against the
//     same bare SDK and posthog-go (ForceFlush, then posthog-go's
//     callbacks); it reports the wall and CPU time of each per span and
//     their ratios (time-ratio <= 1.0 is a throughput at least
//     posthog-go's; cpu-ratio <= 1.25), and fails if a span was dropped;
//   - counter-on/ROUTE: a counter Add with telemetry on, for each route
//     (posthog, otlp, console), against a bare SDK meter provider with
//     the same periodic reader and exemplars off (1.25).
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
		_, _, stop := startBench(b, false, "", "")
		defer stop()
		report(b, interleave(b, spanOp(tracenoop.NewTracerProvider().Tracer("bench")), spanOp(otel.Tracer("bench"))), "off/noop")
	})
	b.Run("span-on", func(b *testing.B) {
		// Both sides turn each span into a PostHog event and encode it,
		// in the background, and send nothing: the pipeline with
		// ELMO_TELEMETRY_DEBUG to a discarded stderr, the baseline with
		// an exporter that encodes what it would hand to posthog-go. A
		// network in the background would make the caller's path measure
		// the scheduler, not the pipeline; span-delivered measures it.
		_, _, stop := startBench(b, true, "", "", "ELMO_TELEMETRY_DEBUG", "1")
		defer stop()
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(encodingExporter{}))
		defer func() { _ = tp.Shutdown(ctx) }()
		report(b, interleave(b, spanOp(tp.Tracer("bench")), spanOp(otel.Tracer("bench"))), "on/sdk")
	})
	b.Run("span-delivered", func(b *testing.B) {
		// A deployment service, which delivers inside the export: the
		// CLI leaves delivery to its background sender.
		tel, srv, stop := startBenchAs(b, otelsetup.RoleDeployment, true, "", "")
		defer stop()
		ours := otel.Tracer("bench")
		base := newDirectSDK(b, srv.URL)
		var oursT, baseT, oursCPU, baseCPU time.Duration
		spans := 0
		for b.Loop() {
			w, c := measure(func() {
				for range spanChunk {
					spanOp(ours)()
				}
				if err := tel.ForceFlush(ctx); err != nil {
					b.Fatal(err)
				}
			})
			oursT, oursCPU = oursT+w, oursCPU+c
			w, c = measure(func() {
				for range spanChunk {
					spanOp(base.tp.Tracer("bench"))()
				}
				base.flush(b)
			})
			baseT, baseCPU = baseT+w, baseCPU+c
			spans += spanChunk
		}
		b.StopTimer()
		base.close(b)
		if n := len(srv.Events()); n != 2*spans {
			b.Fatalf("%d of %d spans arrived: spans were dropped", n, 2*spans)
		}
		per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(spans) }
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(per(oursT), "ours-ns/span")
		b.ReportMetric(per(baseT), "base-ns/span")
		b.ReportMetric(float64(oursT)/float64(baseT), "time-ratio")
		b.ReportMetric(per(oursCPU), "ours-cpu-ns/span")
		b.ReportMetric(per(baseCPU), "base-cpu-ns/span")
		b.ReportMetric(float64(oursCPU)/float64(baseCPU), "cpu-ratio")
	})
	for _, route := range []string{"posthog", "otlp", "console"} {
		b.Run("counter-on/"+route, func(b *testing.B) {
			env := route
			if route == "posthog" {
				env = ""
			}
			mp := sdkmetric.NewMeterProvider(
				sdkmetric.WithReader(sdkmetric.NewPeriodicReader(discardMetrics{})),
				sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter))
			defer func() { _ = mp.Shutdown(ctx) }()
			_, _, stop := startBench(b, true, "none", env)
			defer stop()
			report(b, interleave(b, counterOp(mp.Meter("bench")), counterOp(otel.Meter("bench"))), "on/sdk")
		})
	}
}

// spanChunk is how many spans each side of span-delivered records in one
// turn before it flushes: two full PostHog batches.
const spanChunk = 200

// measure runs f and returns the wall time and the process's CPU time it
// took.
func measure(f func()) (wall, cpu time.Duration) {
	c0 := processCPU()
	t0 := time.Now()
	f()
	return time.Since(t0), processCPU() - c0
}

// discardMetrics is a metric exporter that drops everything, with delta
// temporality like the pipeline's.
type discardMetrics struct{}

func (discardMetrics) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

func (discardMetrics) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (discardMetrics) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }
func (discardMetrics) ForceFlush(context.Context) error                          { return nil }
func (discardMetrics) Shutdown(context.Context) error                            { return nil }

// directSDK is the baseline of the span benchmarks: a bare SDK tracer
// provider with a batch processor whose exporter turns each span into a
// PostHog event with the same properties and hands it to posthog-go, as
// an application without this module would.
type directSDK struct {
	tp       *sdktrace.TracerProvider
	ph       posthog.Client
	acked    chan struct{}
	enqueued atomic.Int64 // by the batch processor's goroutine
	waited   int64
}

func newDirectSDK(b *testing.B, host string) *directSDK {
	b.Helper()
	d := &directSDK{acked: make(chan struct{}, 1<<16)}
	ph, err := posthog.NewWithConfig("phc_bench", posthog.Config{
		Endpoint:     host,
		Compression:  posthog.CompressionGzip,
		BatchSize:    100,
		DisableGeoIP: posthog.Ptr(false),
		IsServer:     posthog.Ptr(false),
		Callback:     directAcks{d.acked},
		Logger:       posthog.StdLogger(log.New(io.Discard, "", 0), false),
	})
	if err != nil {
		b.Fatal(err)
	}
	d.ph = ph
	d.tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(directExporter{d}))
	return d
}

// flush exports what the provider holds and waits until posthog-go has
// acknowledged every event enqueued so far.
func (d *directSDK) flush(b *testing.B) {
	if err := d.tp.ForceFlush(context.Background()); err != nil {
		b.Fatal(err)
	}
	for n := d.enqueued.Load(); d.waited < n; d.waited++ {
		<-d.acked
	}
}

func (d *directSDK) close(b *testing.B) {
	_ = d.tp.Shutdown(context.Background())
	_ = d.ph.Close()
}

// encodingExporter turns spans into the PostHog events the baseline would
// send and encodes them, sending nothing.
type encodingExporter struct{}

func (encodingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, s := range spans {
		if err := json.NewEncoder(io.Discard).Encode(directCapture(s).APIfy()); err != nil {
			return err
		}
	}
	return nil
}

func (encodingExporter) Shutdown(context.Context) error { return nil }

// directCapture is the PostHog event the baseline makes of s.
func directCapture(s sdktrace.ReadOnlySpan) posthog.Capture {
	props := posthog.Properties{
		"version": "1.2.3", "os": "linux", "arch": "amd64", "runtime_version": "go1.26.0",
		"deployment_mode": "local", "service": "elmo-cli",
		"duration_ms": s.EndTime().Sub(s.StartTime()).Milliseconds(), "success": true,
	}
	for _, kv := range s.Attributes() {
		props[string(kv.Key)] = kv.Value.AsInterface()
	}
	sc := s.SpanContext()
	return posthog.Capture{
		Uuid:       uuid.NewSHA1(uuid.NameSpaceOID, []byte(sc.TraceID().String()+sc.SpanID().String())).String(),
		DistinctId: "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10",
		Event:      s.Name(), Timestamp: s.EndTime(), Properties: props,
	}
}

// directAcks passes posthog-go's acknowledgements on.
type directAcks struct{ acked chan<- struct{} }

func (a directAcks) Success(posthog.APIMessage)        { a.acked <- struct{}{} }
func (a directAcks) Failure(posthog.APIMessage, error) { a.acked <- struct{}{} }

// directExporter hands spans to posthog-go.
type directExporter struct{ d *directSDK }

func (e directExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, s := range spans {
		if err := e.d.ph.Enqueue(directCapture(s)); err != nil {
			return err
		}
		e.d.enqueued.Add(1)
	}
	return nil
}

func (directExporter) Shutdown(context.Context) error { return nil }
