package components_test

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/processors"
)

// benchBatch is how many spans one operation records: one OTLP request
// through the gateway, or as many spans through the direct exporter.
const benchBatch = 100

func benchSpans() tracetest.SpanStubs {
	spans := make(tracetest.SpanStubs, benchBatch)
	for i := range spans {
		spans[i] = spanStub("prompt_processed", workerResource(deploymentID), false,
			attribute.StringSlice("providers", []string{"openai", "anthropic"}),
			attribute.StringSlice("models", []string{"gpt-4o", "claude-3-5-sonnet"}),
			attribute.Int("total_runs", 2),
			attribute.Int("successful_runs", 2),
			attribute.Int("failed_runs", 0),
			attribute.String("prompt", "never sent"))
	}
	return spans
}

// BenchmarkThroughput measures events per second from spans recorded
// until their events are accepted by a loopback capture server: through
// the gateway (OTLP/HTTP to the receiver, elmofilter, batch, the posthog
// exporter with its persistent queue, as config.yaml sets them up), and,
// as the baseline in the same run, through the direct exporter (the SDK
// gate and exporter.Client). The clock runs until the last event has
// arrived.
func BenchmarkThroughput(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		srv := posthogtest.NewServer()
		defer srv.Close()
		c, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey(testKey))
		if err != nil {
			b.Fatal(err)
		}
		se, _ := exporter.NewSpanExporter(c)
		// The batch span processor is the queue, as in a deployment;
		// blocking, so that it drops nothing the clock waits for.
		bsp := sdktrace.NewBatchSpanProcessor(se, sdktrace.WithBlocking(), sdktrace.WithBatchTimeout(50*time.Millisecond))
		filter, err := processors.NewSpanFilter(bsp)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			b.StopTimer()
			snaps := benchSpans().Snapshots()
			b.StartTimer()
			for _, s := range snaps {
				filter.OnEnd(s)
			}
		}
		if err := filter.ForceFlush(waitCtx(b)); err != nil {
			b.Fatal(err)
		}
		if _, err := srv.WaitForEvents(waitCtx(b), b.N*benchBatch); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
		_ = filter.Shutdown(waitCtx(b))
		_ = c.Shutdown(waitCtx(b))
	})
	b.Run("gateway", func(b *testing.B) {
		srv := posthogtest.NewServer()
		defer srv.Close()
		g := startGateway(b, srv, "")
		te, err := otlptracehttp.New(waitCtx(b), otlptracehttp.WithEndpointURL(g.Endpoint+"/v1/traces"))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = te.Shutdown(waitCtx(b)) }()
		ctx := waitCtx(b)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			b.StopTimer()
			snaps := benchSpans().Snapshots()
			b.StartTimer()
			if err := te.ExportSpans(ctx, snaps); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := srv.WaitForEvents(waitCtx(b), b.N*benchBatch); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
		g.Stop(b)
	})
}
