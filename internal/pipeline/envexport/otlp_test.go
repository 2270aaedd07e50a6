package envexport

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/elmohq/telemetry/internal/testkit/otlptest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestOTLPClientReadsTheStandardVariables(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		vars        map[string]string
		wantURL     string
		wantHeaders map[string]string
		wantTimeout time.Duration
		wantGzip    bool
		wantErr     string // a part of the error, "" for none
	}{
		{name: "defaults", wantURL: "http://localhost:4318/v1/traces", wantTimeout: defaultOTLPTimeout},
		{name: "general endpoint gets the signal path",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"},
			wantURL: "http://collector:4318/v1/traces", wantTimeout: defaultOTLPTimeout},
		{name: "general endpoint with a path",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://gw/otlp"},
			wantURL: "http://gw/otlp/v1/traces", wantTimeout: defaultOTLPTimeout},
		{name: "signal endpoint is used as it is",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:2/custom"},
			wantURL: "http://b:2/custom", wantTimeout: defaultOTLPTimeout},
		{name: "no scheme means TLS",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
			wantURL: "https://collector:4318/v1/traces", wantTimeout: defaultOTLPTimeout},
		{name: "headers, timeout and gzip",
			vars: map[string]string{
				"OTEL_EXPORTER_OTLP_HEADERS":        "api-key=secret%20value, x-team = elmo",
				"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "1500",
				"OTEL_EXPORTER_OTLP_COMPRESSION":    "GZIP",
			},
			wantURL:     "http://localhost:4318/v1/traces",
			wantHeaders: map[string]string{"Api-Key": "secret value", "X-Team": "elmo"},
			wantTimeout: 1500 * time.Millisecond, wantGzip: true},
		{name: "signal compression wins",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "none"},
			wantURL: "http://localhost:4318/v1/traces", wantTimeout: defaultOTLPTimeout},
		{name: "unsupported compression",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"},
			wantErr: `OTEL_EXPORTER_OTLP_COMPRESSION="zstd"`},
		{name: "bad timeout",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"},
			wantErr: `OTEL_EXPORTER_OTLP_TIMEOUT="10s"`},
		{name: "timeout past what a duration holds",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "9223372036855"},
			wantErr: `OTEL_EXPORTER_OTLP_TIMEOUT="9223372036855"`},
		{name: "bad header",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "novalue"},
			wantErr: "OTEL_EXPORTER_OTLP_HEADERS"},
		{name: "unsupported scheme",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://collector"},
			wantErr: "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{name: "a certificate file that holds none",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_CERTIFICATE": notPEM},
			wantErr: "OTEL_EXPORTER_OTLP_CERTIFICATE"},
		{name: "a client certificate without its key",
			vars:    map[string]string{"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": notPEM},
			wantErr: "must be set together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newOTLPClient(env(tt.vars), "TRACES", "/v1/traces", "spans", config{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.url != tt.wantURL || c.timeout != tt.wantTimeout || c.gzip != tt.wantGzip {
				t.Errorf("url %s, timeout %v, gzip %v; want %s, %v, %v", c.url, c.timeout, c.gzip, tt.wantURL, tt.wantTimeout, tt.wantGzip)
			}
			for k, v := range tt.wantHeaders {
				if got := c.headers.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// The span exporter's requests decode as OTLP, with every field a span
// carries.
func TestOTLPSpanExporterEncodesSpans(t *testing.T) {
	rcv := otlptest.NewServer()
	defer rcv.Close()
	exp, err := NewSpanExporter(context.Background(), OTLP, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	res := sdkresource.NewSchemaless(attribute.String("service.name", "elmo-cli"))
	tid := trace.TraceID{1, 2, 3}
	stub := tracetest.SpanStub{
		Name:        "cli_init",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{4, 5}}),
		Parent:      trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{6, 7}}),
		SpanKind:    trace.SpanKindClient,
		StartTime:   start,
		EndTime:     start.Add(1500 * time.Millisecond),
		Attributes: []attribute.KeyValue{
			attribute.Int("exit_code", 0), attribute.Bool("completed", true), attribute.Float64("ratio", 0.5),
			attribute.String("postgres_mode", "embedded"), attribute.StringSlice("providers", []string{"openai", "anthropic"}),
		},
		Status:               sdktrace.Status{Code: codes.Error, Description: "boom"},
		Resource:             res,
		InstrumentationScope: instrumentation.Scope{Name: "elmo", Version: "1.2.3"},
	}
	if err := exp.ExportSpans(context.Background(), tracetest.SpanStubs{stub}.Snapshots()); err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := rcv.ResourceSpans()
	if len(rs) != 1 || len(rs[0].ScopeSpans) != 1 || len(rs[0].ScopeSpans[0].Spans) != 1 {
		t.Fatalf("received %v, want one span", rs)
	}
	if got := attrs(rs[0].Resource.Attributes); got["service.name"] != "elmo-cli" {
		t.Errorf("resource %v", got)
	}
	if sc := rs[0].ScopeSpans[0].Scope; sc.Name != "elmo" || sc.Version != "1.2.3" {
		t.Errorf("scope %v", sc)
	}
	s := rs[0].ScopeSpans[0].Spans[0]
	if s.Name != "cli_init" || s.Kind != tracepb.Span_SPAN_KIND_CLIENT ||
		string(s.TraceId) != string(tid[:]) || s.SpanId[0] != 4 || s.ParentSpanId[0] != 6 ||
		s.StartTimeUnixNano != uint64(start.UnixNano()) || s.EndTimeUnixNano != uint64(start.Add(1500*time.Millisecond).UnixNano()) {
		t.Errorf("span %v", s)
	}
	if s.Status.Code != tracepb.Status_STATUS_CODE_ERROR || s.Status.Message != "boom" {
		t.Errorf("status %v", s.Status)
	}
	got := attrs(s.Attributes)
	want := map[string]any{"exit_code": int64(0), "completed": true, "ratio": 0.5, "postgres_mode": "embedded", "providers": "[openai anthropic]"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("attribute %s = %v (%T), want %v (%T)", k, got[k], got[k], v, v)
		}
	}
	if err := exp.ExportSpans(context.Background(), tracetest.SpanStubs{stub}.Snapshots()); !errors.Is(err, errOTLPClosed) {
		t.Errorf("export after shutdown: %v, want errOTLPClosed", err)
	}
}

// The metric exporter's requests decode as OTLP: sums with their
// temporality and monotonicity, gauges and histograms.
func TestOTLPMetricExporterEncodesMetrics(t *testing.T) {
	rcv := otlptest.NewServer()
	defer rcv.Close()
	exp, err := NewMetricExporter(context.Background(), OTLP, env(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	set := attribute.NewSet(attribute.String("provider", "openai"))
	rm := &metricdata.ResourceMetrics{
		Resource: sdkresource.NewSchemaless(attribute.String("service.name", "elmo-worker")),
		ScopeMetrics: []metricdata.ScopeMetrics{{
			Scope: instrumentation.Scope{Name: "worker"},
			Metrics: []metricdata.Metrics{
				{Name: "prompt_runs", Unit: "{run}", Data: metricdata.Sum[int64]{
					Temporality: metricdata.DeltaTemporality, IsMonotonic: true,
					DataPoints: []metricdata.DataPoint[int64]{{Attributes: set, StartTime: now, Time: now, Value: 7}},
				}},
				{Name: "prompts_tracked", Data: metricdata.Gauge[float64]{
					DataPoints: []metricdata.DataPoint[float64]{{Time: now, Value: 2.5}},
				}},
				{Name: "latency", Data: metricdata.Histogram[float64]{
					Temporality: metricdata.DeltaTemporality,
					DataPoints: []metricdata.HistogramDataPoint[float64]{{
						Time: now, Count: 3, Sum: 6, Bounds: []float64{1, 5}, BucketCounts: []uint64{1, 1, 1},
						Min: metricdata.NewExtrema(0.5), Max: metricdata.NewExtrema(4.5),
					}},
				}},
			},
		}},
	}
	if err := exp.Export(context.Background(), rm); err != nil {
		t.Fatal(err)
	}
	_ = exp.Shutdown(context.Background())
	got := rcv.ResourceMetrics()
	if len(got) != 1 || len(got[0].ScopeMetrics) != 1 || len(got[0].ScopeMetrics[0].Metrics) != 3 {
		t.Fatalf("received %v", got)
	}
	ms := got[0].ScopeMetrics[0].Metrics
	sum := ms[0].GetSum()
	if ms[0].Name != "prompt_runs" || ms[0].Unit != "{run}" || sum == nil || !sum.IsMonotonic ||
		sum.AggregationTemporality != metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA ||
		len(sum.DataPoints) != 1 || sum.DataPoints[0].GetAsInt() != 7 || attrs(sum.DataPoints[0].Attributes)["provider"] != "openai" {
		t.Errorf("sum %v", ms[0])
	}
	if g := ms[1].GetGauge(); g == nil || len(g.DataPoints) != 1 || g.DataPoints[0].GetAsDouble() != 2.5 {
		t.Errorf("gauge %v", ms[1])
	}
	h := ms[2].GetHistogram()
	if h == nil || len(h.DataPoints) != 1 {
		t.Fatalf("histogram %v", ms[2])
	}
	p := h.DataPoints[0]
	if p.Count != 3 || p.GetSum() != 6 || len(p.BucketCounts) != 3 || len(p.ExplicitBounds) != 2 || p.GetMin() != 0.5 || p.GetMax() != 4.5 {
		t.Errorf("histogram point %v", p)
	}
}

// A server that refuses the request makes the export fail with its
// status, which the CLI prints when a person chose the OTLP route.
func TestOTLPExportReportsTheServersAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such tenant", http.StatusNotFound)
	}))
	defer srv.Close()
	exp, err := NewSpanExporter(context.Background(), OTLP, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL}), io.Discard,
		WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(context.Background())
	err = exp.ExportSpans(context.Background(), tracetest.SpanStubs{{Name: "cli_version"}}.Snapshots())
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "no such tenant") {
		t.Errorf("error %v, want the 404 and its message", err)
	}
}

// attrs decodes OTLP attributes into Go values; arrays as their fmt form.
func attrs(kvs []*commonpb.KeyValue) map[string]any {
	out := map[string]any{}
	for _, kv := range kvs {
		switch v := kv.Value.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.Key] = v.StringValue
		case *commonpb.AnyValue_BoolValue:
			out[kv.Key] = v.BoolValue
		case *commonpb.AnyValue_IntValue:
			out[kv.Key] = v.IntValue
		case *commonpb.AnyValue_DoubleValue:
			out[kv.Key] = v.DoubleValue
		case *commonpb.AnyValue_ArrayValue:
			var parts []string
			for _, x := range v.ArrayValue.Values {
				parts = append(parts, x.GetStringValue())
			}
			out[kv.Key] = "[" + strings.Join(parts, " ") + "]"
		}
	}
	return out
}
