package processors

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"
)

// record makes the measurements of the metric tests on mp: catalog
// instruments with allowed and canary attributes, uncataloged instruments,
// and a catalog name with the wrong kind. Measurements are made in a
// sampled span context, where the SDK would otherwise record exemplars.
func record(t *testing.T, mp *sdkmetric.MeterProvider) {
	t.Helper()
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	meter := mp.Meter("elmo/worker")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	runs, err := meter.Int64Counter("prompt_runs")
	must(err)
	ok := []attribute.KeyValue{attribute.String("provider", "openai"), attribute.String("model", "gpt-4o-mini"), attribute.String("outcome", "ok")}
	runs.Add(ctx, 1, metric.WithAttributes(append(ok, attribute.String("prompt", "canary prompt text"), attribute.String("brand", "Canary Inc"))...))
	runs.Add(ctx, 2, metric.WithAttributes(ok...))
	runs.Add(ctx, 4, metric.WithAttributes(
		attribute.String("provider", "canary-llm"),               // not in the enum
		attribute.String("model", "canary.internal.example.com"), // a host name
		attribute.String("outcome", "ok"),
		attribute.Int("error.code", 500),
	))

	errs, err := meter.Int64Counter("provider_errors")
	must(err)
	errs.Add(ctx, 1, metric.WithAttributes(
		attribute.String("provider", "anthropic"),
		attribute.String("error_type", "timeout"),
		attribute.String("error.message", "dial tcp canary.example.com: i/o timeout"),
	))

	brands, err := meter.Float64Counter("brands_created")
	must(err)
	brands.Add(ctx, 2, metric.WithAttributes(attribute.String("brand", "Canary Brand")))

	_, err = meter.Int64ObservableGauge("prompts_tracked", metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(7, metric.WithAttributes(attribute.String("brand", "Canary Brand")))
		return nil
	}))
	must(err)

	// Not in the catalog, or not with that kind: nothing may come out.
	h, err := meter.Float64Histogram("http.server.request.duration")
	must(err)
	h.Record(ctx, 0.1, metric.WithAttributes(attribute.String("url.full", "https://canary.example.com/")))
	c, err := meter.Int64Counter("canary_counter")
	must(err)
	c.Add(ctx, 1)
	wrongKind, err := mp.Meter("elmo/web").Int64Counter("brands") // a gauge in the catalog
	must(err)
	wrongKind.Add(ctx, 1, metric.WithAttributes(attribute.String("brand", "Canary")))
	ud, err := meter.Int64UpDownCounter("prompts_edited") // a counter in the catalog
	must(err)
	ud.Add(ctx, -1)
}

// TestMetricFilter checks the filter as otelsetup applies it: the view
// and exemplar filter of ExportOptions at measurement time, then Filter,
// which Exporter applies, at export time.
func TestMetricFilter(t *testing.T) {
	// The filter wins over the environment.
	t.Setenv("OTEL_METRICS_EXEMPLAR_FILTER", "always_on")

	mf, err := NewMetricFilter()
	if err != nil {
		t.Fatal(err)
	}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(append([]sdkmetric.Option{sdkmetric.WithReader(reader)}, mf.ExportOptions()...)...)
	t.Cleanup(func() {
		if err := mp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	record(t, mp)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	mf.Filter(&rm)
	if d := fmt.Sprintf("%+v", rm.ScopeMetrics); strings.Contains(strings.ToLower(d), "canary") {
		t.Errorf("a canary was exported:\n%s", d)
	}

	got := map[string]map[string]float64{} // instrument -> attribute set -> value
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			points := got[m.Name]
			if points == nil {
				points = map[string]float64{}
				got[m.Name] = points
			} else {
				t.Errorf("instrument %q exported as more than one stream", m.Name)
			}
			add := func(set attribute.Set, v float64, exemplars int) {
				points[set.Encoded(attribute.DefaultEncoder())] += v
				if exemplars > 0 {
					t.Errorf("%s: %d exemplars exported", m.Name, exemplars)
				}
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					add(p.Attributes, float64(p.Value), len(p.Exemplars))
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					add(p.Attributes, p.Value, len(p.Exemplars))
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					add(p.Attributes, float64(p.Value), len(p.Exemplars))
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	// The unknown provider and the host name are sent as "other", as on
	// spans.
	want := map[string]map[string]float64{
		"prompt_runs":     {"model=gpt-4o-mini,outcome=ok,provider=openai": 3, "model=other,outcome=ok,provider=other": 4},
		"provider_errors": {"error_type=timeout,provider=anthropic": 1},
		"brands_created":  {"": 2},
		"prompts_tracked": {"": 7},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exported\n%v\nwant\n%v", got, want)
	}

	d := mf.Dropped()
	for _, r := range []Reason{ReasonKeyNotAllowed, ReasonInstrumentNotInCatalog} {
		if d.Get(r) == 0 {
			t.Errorf("no drop counted for %v (counts: %v)", r, d)
		}
	}
}

// TestMetricFilterControl shows that the measurements of record would
// export canaries, exemplars and extra instruments without the filter, so
// that TestMetricFilter proves something.
func TestMetricFilterControl(t *testing.T) {
	t.Setenv("OTEL_METRICS_EXEMPLAR_FILTER", "always_on")
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	record(t, mp)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	d := fmt.Sprintf("%+v", rm.ScopeMetrics)
	if !strings.Contains(strings.ToLower(d), "canary") || !strings.Contains(d, "http.server.request.duration") || !strings.Contains(d, "Exemplars:[{") {
		t.Errorf("the unfiltered pipeline did not export what the filter must remove:\n%s", d)
	}
}

// TestMetricFilterExporter checks that Exporter filters what a periodic
// reader exports, and merges points that end up with the same attributes.
func TestMetricFilterExporter(t *testing.T) {
	mf, err := NewMetricFilter()
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingExporter{}
	reader := sdkmetric.NewPeriodicReader(mf.Exporter(rec))
	mp := sdkmetric.NewMeterProvider(append([]sdkmetric.Option{sdkmetric.WithReader(reader)}, mf.ExportOptions()...)...)
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })

	runs, err := mp.Meter("t").Int64Counter("prompt_runs")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	runs.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "ok"), attribute.String("prompt", "canary one")))
	runs.Add(ctx, 2, metric.WithAttributes(attribute.String("outcome", "ok"), attribute.String("prompt", "canary two")))
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if d := fmt.Sprintf("%+v", rec.got); strings.Contains(d, "canary") {
		t.Fatalf("a canary was exported: %s", d)
	}
	pts := rec.got[0].ScopeMetrics[0].Metrics[0].Data.(metricdata.Sum[int64]).DataPoints
	if len(pts) != 1 || pts[0].Value != 3 {
		t.Errorf("points %+v, want one point of value 3", pts)
	}
}

type recordingExporter struct {
	got []metricdata.ResourceMetrics
}

func (r *recordingExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}

func (r *recordingExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (r *recordingExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	r.got = append(r.got, *rm)
	return nil
}

func (r *recordingExporter) ForceFlush(context.Context) error { return nil }
func (r *recordingExporter) Shutdown(context.Context) error   { return nil }
