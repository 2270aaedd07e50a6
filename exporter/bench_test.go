package exporter_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"testing"
	"time"

	"github.com/posthog/posthog-go"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// benchSpans returns n finished spans like the worker's prompt_processed.
func benchSpans(n int) []sdktrace.ReadOnlySpan {
	res := cliResource()
	start := time.Now()
	stubs := make(tracetest.SpanStubs, n)
	for i := range stubs {
		var tid trace.TraceID
		var sid trace.SpanID
		tid[0], tid[1], tid[2] = byte(i), byte(i>>8), byte(i>>16)
		sid[0], sid[1], sid[2] = byte(i), byte(i>>8), byte(i>>16)
		stubs[i] = tracetest.SpanStub{
			Name:        "prompt_processed",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}),
			StartTime:   start,
			EndTime:     start.Add(time.Second),
			Resource:    res,
			Attributes: []attribute.KeyValue{
				attribute.StringSlice("providers", []string{"openai", "anthropic"}),
				attribute.Int("total_runs", 10),
				attribute.Int("successful_runs", 9),
				attribute.Int("failed_runs", 1),
			},
		}
	}
	return stubs.Snapshots()
}

// BenchmarkDelivery sends b.N events to a loopback capture server, through
// the span exporter and, as the baseline, by calling posthog-go directly
// with the same properties, with each capture API: exporter and posthog-go
// use the legacy /batch/, exporter-v1 and posthog-go-v1 the v1 API. Each
// ends with a shutdown that waits for every event to be acknowledged.
func BenchmarkDelivery(b *testing.B) {
	for _, api := range captureAPIs {
		suffix := ""
		if api == exporter.CaptureV1 {
			suffix = "-v1"
		}
		b.Run("exporter"+suffix, func(b *testing.B) { benchExporter(b, api) })
		b.Run("posthog-go"+suffix, func(b *testing.B) { benchPostHogGo(b, api) })
	}
}

func benchExporter(b *testing.B, api exporter.CaptureAPI) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	spans := benchSpans(b.N)
	b.ReportAllocs()
	b.ResetTimer()

	c, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey(testKey),
		exporter.WithQueueSize(b.N+1), exporter.WithCaptureAPI(api))
	if err != nil {
		b.Fatal(err)
	}
	exp, _ := exporter.NewSpanExporter(c)
	for i := 0; i < len(spans); i += 512 {
		if err := exp.ExportSpans(context.Background(), spans[i:min(i+512, len(spans))]); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if n := len(srv.Events()); n != b.N {
		b.Fatalf("%d of %d events arrived", n, b.N)
	}
}

func benchPostHogGo(b *testing.B, api exporter.CaptureAPI) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	spans := benchSpans(b.N)
	b.ReportAllocs()
	b.ResetTimer()

	mode := posthog.CaptureModeLegacy
	if api == exporter.CaptureV1 {
		mode = posthog.CaptureModeAnalyticsV1
	}
	zero := 0
	ph, err := posthog.NewWithConfig(testKey, posthog.Config{
		Endpoint:     srv.URL,
		Compression:  posthog.CompressionGzip,
		CaptureMode:  mode,
		MaxQueueSize: b.N + 1,
		DisableGeoIP: posthog.Ptr(false),
		IsServer:     posthog.Ptr(false),
		MaxRetries:   &zero,
		Logger:       posthog.StdLogger(log.New(io.Discard, "", 0), false),
	})
	if err != nil {
		b.Fatal(err)
	}
	for i, s := range spans {
		props := posthog.Properties{
			"providers": []string{"openai", "anthropic"}, "total_runs": int64(10),
			"successful_runs": int64(9), "failed_runs": int64(1),
			"version": "1.2.3", "os": "linux", "arch": "amd64", "runtime_version": "go1.26.0",
			"deployment_mode": "local", "service": "elmo-cli", "duration_ms": int64(1000), "success": true,
		}
		if err := ph.Enqueue(posthog.Capture{
			Uuid: fmt.Sprintf("00000000-0000-4000-8000-%012x", i), DistinctId: installID,
			Event: s.Name(), Timestamp: s.EndTime(), Properties: props,
		}); err != nil {
			b.Fatal(err)
		}
	}
	if err := ph.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if n := len(srv.Events()); n != b.N {
		b.Fatalf("%d of %d events arrived", n, b.N)
	}
}
