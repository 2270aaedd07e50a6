package exporter_test

import (
	"context"
	"io"
	"log"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/posthog/posthog-go"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// benchSpans returns n finished spans like the worker's prompt_processed,
// numbered from first.
func benchSpans(first, n int) []sdktrace.ReadOnlySpan {
	res := cliResource()
	start := time.Now()
	stubs := make(tracetest.SpanStubs, n)
	for j := range stubs {
		i := first + j
		var tid trace.TraceID
		var sid trace.SpanID
		tid[0], tid[1], tid[2], tid[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		sid[0], sid[1], sid[2], sid[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		stubs[j] = tracetest.SpanStub{
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

// deliveryChunk is how many events each side delivers in one turn: about
// what a BatchSpanProcessor hands an exporter at once (512), rounded to
// five full batches of 100, so that posthog-go does not wait for its
// flush interval to send a partial batch.
const deliveryChunk = 500

// BenchmarkDelivery delivers events to a loopback capture server through
// the exporter (span exporter and Client) and, as the baseline, through
// posthog-go called directly with the same properties and batch size,
// with each capture API. The two take turns, deliveryChunk events at a
// time, and each turn is timed to the last acknowledged event: our side
// is one ExportSpans of the chunk, as a batch span processor calls it,
// which returns then, and the baseline waits for posthog-go's success
// callbacks. It reports the wall time and the CPU time (of the
// whole process, the in-process server included) of each side per event,
// and their ratios: time-ratio <= 1.0 means a throughput at least that of
// posthog-go direct.
func BenchmarkDelivery(b *testing.B) {
	for _, api := range captureAPIs {
		b.Run(api.String(), func(b *testing.B) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			ours := newOursDelivery(b, srv, api)
			base := newDirectDelivery(b, srv, api)
			var oursT, baseT, oursCPU, baseCPU time.Duration
			next := 0
			for b.Loop() {
				spans := benchSpans(next, deliveryChunk)
				next += deliveryChunk
				w, c := measure(func() { ours.deliver(b, spans) })
				oursT, oursCPU = oursT+w, oursCPU+c
				w, c = measure(func() { base.deliver(b, spans) })
				baseT, baseCPU = baseT+w, baseCPU+c
			}
			b.StopTimer()
			ours.close(b)
			base.close(b)
			if n := len(srv.Events()); n != 2*next {
				b.Fatalf("%d of %d events arrived", n, 2*next)
			}
			perEvent := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(next) }
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(perEvent(oursT), "ours-ns/event")
			b.ReportMetric(perEvent(baseT), "base-ns/event")
			b.ReportMetric(float64(oursT)/float64(baseT), "time-ratio")
			b.ReportMetric(perEvent(oursCPU), "ours-cpu-ns/event")
			b.ReportMetric(perEvent(baseCPU), "base-cpu-ns/event")
			b.ReportMetric(float64(oursCPU)/float64(baseCPU), "cpu-ratio")
		})
	}
}

// measure runs f and returns the wall time and the process's CPU time
// (user and system) it took.
func measure(f func()) (wall, cpu time.Duration) {
	c0 := processCPU()
	t0 := time.Now()
	f()
	return time.Since(t0), processCPU() - c0
}

// oursDelivery is the exporter's side of BenchmarkDelivery.
type oursDelivery struct {
	c   *exporter.Client
	exp *exporter.SpanExporter
}

func newOursDelivery(b *testing.B, srv *posthogtest.Server, api exporter.CaptureAPI) *oursDelivery {
	c, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey(testKey),
		exporter.WithCaptureAPI(api))
	if err != nil {
		b.Fatal(err)
	}
	exp, err := exporter.NewSpanExporter(c)
	if err != nil {
		b.Fatal(err)
	}
	return &oursDelivery{c: c, exp: exp}
}

// deliver exports spans and returns with the last acknowledgement: the
// exporter delivers before ExportSpans returns.
func (o *oursDelivery) deliver(b *testing.B, spans []sdktrace.ReadOnlySpan) {
	if err := o.exp.ExportSpans(context.Background(), spans); err != nil {
		b.Fatal(err)
	}
}

func (o *oursDelivery) close(b *testing.B) {
	if err := o.c.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// directDelivery is the baseline of BenchmarkDelivery: posthog-go called
// directly, as an application without this module would.
type directDelivery struct {
	ph    posthog.Client
	acked chan int
}

// ackCounter passes posthog-go's acknowledgements to acked.
type ackCounter struct{ acked chan<- int }

func (a ackCounter) Success(posthog.APIMessage)        { a.acked <- 1 }
func (a ackCounter) Failure(posthog.APIMessage, error) { a.acked <- 0 }

func newDirectDelivery(b *testing.B, srv *posthogtest.Server, api exporter.CaptureAPI) *directDelivery {
	mode := posthog.CaptureModeLegacy
	if api == exporter.CaptureV1 {
		mode = posthog.CaptureModeAnalyticsV1
	}
	zero := 0
	d := &directDelivery{acked: make(chan int, 4*deliveryChunk)}
	ph, err := posthog.NewWithConfig(testKey, posthog.Config{
		Endpoint:     srv.URL,
		Compression:  posthog.CompressionGzip,
		CaptureMode:  mode,
		BatchSize:    100, // the exporter's
		MaxQueueSize: 4 * deliveryChunk,
		DisableGeoIP: posthog.Ptr(false),
		IsServer:     posthog.Ptr(false),
		MaxRetries:   &zero,
		Callback:     ackCounter{d.acked},
		Logger:       posthog.StdLogger(log.New(io.Discard, "", 0), false),
	})
	if err != nil {
		b.Fatal(err)
	}
	d.ph = ph
	return d
}

func (d *directDelivery) deliver(b *testing.B, spans []sdktrace.ReadOnlySpan) {
	for _, s := range spans {
		props := posthog.Properties{
			"version": "1.2.3", "os": "linux", "arch": "amd64", "runtime_version": "go1.26.0",
			"deployment_mode": "local", "service": "elmo-cli",
			"duration_ms": s.EndTime().Sub(s.StartTime()).Milliseconds(), "success": true,
		}
		for _, kv := range s.Attributes() {
			props[string(kv.Key)] = kv.Value.AsInterface()
		}
		sc := s.SpanContext()
		if err := d.ph.Enqueue(posthog.Capture{
			Uuid:       uuid.NewSHA1(uuid.NameSpaceOID, []byte(sc.TraceID().String()+sc.SpanID().String())).String(),
			DistinctId: installID,
			Event:      s.Name(), Timestamp: s.EndTime(), Properties: props,
		}); err != nil {
			b.Fatal(err)
		}
	}
	ok := 0
	for range spans {
		ok += <-d.acked
	}
	if ok != len(spans) {
		b.Fatalf("posthog-go delivered %d of %d events", ok, len(spans))
	}
}

func (d *directDelivery) close(b *testing.B) {
	if err := d.ph.Close(); err != nil {
		b.Fatal(err)
	}
}
