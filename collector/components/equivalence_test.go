package components_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogmap"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/processors"
)

const (
	installID    = "0b9f4c8e-6a3d-4c1e-9f2a-7d5b8e1c3a40"
	deploymentID = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
)

// cliResource is the resource of an elmo CLI, with what the catalog
// allows and what it does not (a host name, a made-up key).
func cliResource() *resource.Resource {
	return resource.NewSchemaless(
		attribute.String("elmo.install.id", installID),
		attribute.String("service.name", "elmo-cli"),
		attribute.String("service.version", "1.4.2"),
		attribute.String("os.type", "linux"),
		attribute.String("host.arch", "amd64"),
		attribute.String("process.runtime.name", "go"),
		attribute.String("process.runtime.version", "go1.26.0"),
		attribute.String("elmo.deployment.mode", "local"),
		attribute.String("host.name", "alice-laptop.example.com"),
		attribute.String("team", "secret-project"),
	)
}

// workerResource is the resource of a deployment's worker.
func workerResource(deployment string) *resource.Resource {
	return resource.NewSchemaless(
		attribute.String("elmo.deployment.id", deployment),
		attribute.String("service.name", "elmo-worker"),
		attribute.String("service.version", "1.4.2"),
		attribute.String("os.type", "darwin"),
		attribute.String("host.arch", "arm64"),
		attribute.String("elmo.deployment.mode", "whitelabel"),
	)
}

var spanSeq uint32

// spanStub returns an ended span with fresh IDs.
func spanStub(name string, res *resource.Resource, failed bool, attrs ...attribute.KeyValue) tracetest.SpanStub {
	spanSeq++
	start := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC).Add(time.Duration(spanSeq) * time.Microsecond)
	st := sdktrace.Status{Code: codes.Ok}
	if failed {
		st = sdktrace.Status{Code: codes.Error, Description: "open /home/alice/.elmo/db: permission denied"}
	}
	return tracetest.SpanStub{
		Name: name,
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID:    trace.TraceID{0xe1, byte(spanSeq >> 24), byte(spanSeq >> 16), byte(spanSeq >> 8), byte(spanSeq)},
			SpanID:     trace.SpanID{0x5b, byte(spanSeq >> 24), byte(spanSeq >> 16), byte(spanSeq >> 8), byte(spanSeq)},
			TraceFlags: trace.FlagsSampled,
		}),
		StartTime:            start,
		EndTime:              start.Add(1234567 * time.Microsecond),
		Attributes:           attrs,
		Status:               st,
		Events:               []sdktrace.Event{{Name: "exception", Attributes: []attribute.KeyValue{attribute.String("exception.stacktrace", "main.go:12")}}},
		Resource:             res,
		InstrumentationScope: instrumentation.Scope{Name: "github.com/elmohq/elmo/cmd/elmo", Version: "1.4.2"},
	}
}

// rawSpans are spans as programs record them, before any gate: catalog
// spans with allowed and forbidden attributes, values the rules rewrite
// or refuse, and a span the catalog does not name.
func rawSpans() tracetest.SpanStubs {
	return tracetest.SpanStubs{
		spanStub("cli_version", cliResource(), false,
			attribute.Int("exit_code", 0),
			attribute.String("output_path", "/home/alice/out.csv")),
		spanStub("cli_init", cliResource(), true,
			attribute.Int("exit_code", 1),
			attribute.String("postgres_mode", "external"),
			attribute.StringSlice("providers", []string{"openai", "my-corp-llm"}),
			attribute.Bool("has_direct_api", true),
			attribute.Bool("completed", false),
			attribute.String("failed_step", "database"),
			attribute.String("database_url", "postgres://alice:pw@db.internal/elmo")),
		spanStub("prompt_processed", workerResource(deploymentID), false,
			attribute.StringSlice("providers", []string{"anthropic", "openrouter"}),
			attribute.StringSlice("models", []string{"anthropic/claude-3-5-sonnet-20241022", "llama3.1:8b-instruct-q4_K_M", "ft:gpt-4o:acme::abc123"}),
			attribute.Int("total_runs", 3),
			attribute.Int("successful_runs", 2),
			attribute.Int("failed_runs", 1),
			attribute.String("prompt", "What is the best CRM for alice@example.com?")),
		spanStub("provider_request", workerResource(deploymentID), false,
			attribute.String("url", "https://api.openai.com/v1/chat")),
		spanStub("deployment_heartbeat", workerResource(deploymentID), false,
			attribute.String("postgres_mode", "embedded"),
			attribute.StringSlice("providers", []string{})),
	}
}

// rawMetrics are the counters and gauges of a worker and a web app over
// one interval, before any gate: catalog instruments with allowed and
// forbidden attributes, and instruments the catalog does not name.
func rawMetrics(deployment string) []*metricdata.ResourceMetrics {
	start := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	end := start.Add(time.Minute)
	scope := instrumentation.Scope{Name: "github.com/elmohq/elmo/worker"}
	sumI := func(name string, pts ...metricdata.DataPoint[int64]) metricdata.Metrics {
		return metricdata.Metrics{Name: name, Data: metricdata.Sum[int64]{Temporality: metricdata.DeltaTemporality, IsMonotonic: true, DataPoints: pts}}
	}
	pt := func(v int64, attrs ...attribute.KeyValue) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attrs...), StartTime: start, Time: end, Value: v}
	}
	worker := &metricdata.ResourceMetrics{
		Resource: workerResource(deployment),
		ScopeMetrics: []metricdata.ScopeMetrics{{Scope: scope, Metrics: []metricdata.Metrics{
			sumI("prompt_runs",
				pt(3, attribute.String("provider", "openai"), attribute.String("model", "gpt-4o-2024-08-06"), attribute.String("outcome", "ok")),
				pt(1, attribute.String("provider", "openai"), attribute.String("model", "gpt-4o-2024-08-06"), attribute.String("outcome", "error")),
				// Two points that become one once the host name is gone.
				pt(2, attribute.String("provider", "ollama"), attribute.String("model", "llama3.1:8b"), attribute.String("outcome", "ok"), attribute.String("host", "gpu-1.internal")),
				pt(5, attribute.String("provider", "ollama"), attribute.String("model", "llama3.1:8b"), attribute.String("outcome", "ok"), attribute.String("host", "gpu-2.internal"))),
			sumI("provider_errors",
				pt(2, attribute.String("provider", "my-corp-llm"), attribute.String("error_type", "timeout"), attribute.String("message", "dial tcp 10.0.0.7:443: i/o timeout"))),
			sumI("queue_depth_by_user", pt(7, attribute.String("user", "alice@example.com"))),
		}}},
	}
	web := &metricdata.ResourceMetrics{
		Resource: resource.NewSchemaless(
			attribute.String("elmo.deployment.id", deployment),
			attribute.String("service.name", "elmo-web"),
			attribute.String("service.version", "1.4.2")),
		ScopeMetrics: []metricdata.ScopeMetrics{{Scope: scope, Metrics: []metricdata.Metrics{
			sumI("brands_created", pt(2)),
			{Name: "prompts_tracked", Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{pt(42)}}},
			{Name: "request_duration", Data: metricdata.Histogram[float64]{Temporality: metricdata.DeltaTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{{
				Attributes: attribute.NewSet(attribute.String("path", "/brands/acme")), StartTime: start, Time: end, Count: 1, Sum: 12, Bounds: []float64{10}, BucketCounts: []uint64{0, 1},
			}}}},
		}}},
	}
	return []*metricdata.ResourceMetrics{worker, web}
}

// direct exports spans and metrics as an Elmo program does when it sends
// to PostHog itself: the SDK's catalog gate, then the PostHog exporters.
func direct(t *testing.T, srv *posthogtest.Server, spans tracetest.SpanStubs, metrics []*metricdata.ResourceMetrics) {
	t.Helper()
	c, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	se, err := exporter.NewSpanExporter(c)
	if err != nil {
		t.Fatal(err)
	}
	me, err := exporter.NewMetricExporter(c)
	if err != nil {
		t.Fatal(err)
	}
	filter, err := processors.NewSpanFilter(sdktrace.NewSimpleSpanProcessor(se))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range spans.Snapshots() {
		filter.OnEnd(s)
	}
	mf, err := processors.NewMetricFilter()
	if err != nil {
		t.Fatal(err)
	}
	ctx := waitCtx(t)
	for _, rm := range metrics {
		mf.Filter(rm)
		if err := me.Export(ctx, rm); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// viaOTLP sends spans and metrics, unfiltered, over OTLP/HTTP to endpoint,
// as the SDK's OTLP exporters do (OTEL_TRACES_EXPORTER=otlp).
func viaOTLP(t testing.TB, endpoint string, spans tracetest.SpanStubs, metrics []*metricdata.ResourceMetrics) {
	t.Helper()
	ctx := waitCtx(t)
	if len(spans) > 0 {
		te, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint+"/v1/traces"))
		if err != nil {
			t.Fatal(err)
		}
		if err := te.ExportSpans(ctx, spans.Snapshots()); err != nil {
			t.Fatalf("exporting spans over OTLP: %v", err)
		}
		if err := te.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(metrics) > 0 {
		me, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(endpoint+"/v1/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		for _, rm := range metrics {
			if err := me.Export(ctx, rm); err != nil {
				t.Fatalf("exporting metrics over OTLP: %v", err)
			}
		}
		if err := me.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// comparable is an event as PostHog stores it, without what only says
// which request carried it.
type comparableEvent struct {
	UUID, Event, DistinctID string
	Timestamp               time.Time
	Properties              map[string]any
}

func byUUID(evs []posthogtest.Event) []comparableEvent {
	out := make([]comparableEvent, len(evs))
	for i, e := range evs {
		out[i] = comparableEvent{e.UUID, e.Event, e.DistinctID, e.Timestamp, e.Properties}
	}
	slices.SortFunc(out, func(a, b comparableEvent) int { return strings.Compare(a.UUID, b.UUID) })
	return out
}

// The same spans and counters, exported once directly and once through
// the gateway (OTLP receiver, elmofilter, batch, posthog exporter, as
// config.yaml wires them), arrive as the same events: same UUID, distinct
// ID, timestamp and properties. The gateway gets them unfiltered, so its
// gate is shown to drop and rewrite exactly what the SDK's gate does.
func TestGatewayEventsEqualDirectExport(t *testing.T) {
	directSrv := posthogtest.NewServer()
	defer directSrv.Close()
	gatewaySrv := posthogtest.NewServer()
	defer gatewaySrv.Close()

	spans := rawSpans()
	direct(t, directSrv, spans, rawMetrics(deploymentID))
	want := byUUID(directSrv.Events())
	// cli_version, cli_init, prompt_processed, deployment_heartbeat;
	// prompt_runs (3 points once merged), provider_errors, brands_created,
	// prompts_tracked.
	if len(want) != 10 {
		t.Fatalf("the direct export sent %d events, want 10: %v", len(want), posthogtest.Names(directSrv.Events()))
	}

	g := startGateway(t, gatewaySrv, "")
	viaOTLP(t, g.Endpoint, spans, rawMetrics(deploymentID))
	evs, err := gatewaySrv.WaitForEvents(waitCtx(t), len(want))
	if err != nil {
		t.Fatal(err)
	}
	g.Stop(t)
	got := byUUID(gatewaySrv.Events())
	if len(got) != len(evs) {
		t.Fatalf("more events arrived after the wait: %d, then %d", len(evs), len(got))
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("the gateway's events differ from the direct export's.\ngateway:\n%s\ndirect:\n%s", gj, wj)
	}
	// And nothing outside the catalog reached the wire either way.
	for _, e := range got {
		if err := processors.DefaultPolicy().CheckEvent(e.Event, withoutLib(e.Properties)); err != nil {
			t.Errorf("event outside the catalog: %v", err)
		}
	}
}

// withoutLib returns props without the library properties the transport
// adds, which are not the catalog's.
func withoutLib(props map[string]any) map[string]any {
	out := make(map[string]any, len(props))
	for k, v := range props {
		if k != "$lib" && k != "$lib_version" {
			out[k] = v
		}
	}
	return out
}

// spanUUID is the UUID of a span's event.
var spanUUID = posthogmap.SpanUUID
