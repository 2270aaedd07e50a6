package elmofilterprocessor_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/collector/elmofilterprocessor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const deploymentID = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"

func newResource(m pcommon.Map) {
	m.PutStr("elmo.deployment.id", deploymentID)
	m.PutStr("service.name", "elmo-worker")
	m.PutStr("host.name", "gpu-1.internal")
	m.PutStr("process.command_args", "elmo-worker --db /srv/elmo")
}

// dropped returns the processor's drop counts by reason from tel.
func dropped(t *testing.T, tel *componenttest.Telemetry) map[string]int64 {
	t.Helper()
	m, err := tel.GetMetric(elmofilterprocessor.DroppedMetric)
	if err != nil {
		t.Fatalf("the %s counter: %v", elmofilterprocessor.DroppedMetric, err)
	}
	out := make(map[string]int64)
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		r, _ := dp.Attributes.Value("reason")
		out[r.AsString()] += dp.Value
	}
	return out
}

// The gate fails closed on traces: only catalog spans pass, with only
// their allowed attributes, values as the catalog sends them, no events,
// links, status message or trace state, the catalog's resource
// attributes and one scope; everything dropped is counted by reason.
func TestTraces(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	newResource(rs.Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("github.com/acme/secret-plugin")
	ss.Scope().Attributes().PutStr("team", "payments")

	s := ss.Spans().AppendEmpty()
	s.SetName("prompt_processed")
	s.SetTraceID(pcommon.TraceID{1})
	s.SetSpanID(pcommon.SpanID{2})
	s.TraceState().FromRaw("vendor=alice")
	s.Status().SetCode(ptrace.StatusCodeError)
	s.Status().SetMessage("open /home/alice/key: denied")
	a := s.Attributes()
	a.PutInt("total_runs", 2)
	models := a.PutEmptySlice("models")
	models.AppendEmpty().SetStr("anthropic/claude-3-5-sonnet-20241022")
	models.AppendEmpty().SetStr("acme-private-model")
	a.PutStr("prompt", "email alice@example.com")
	a.PutStr("successful_runs", "2")                       // wrong type
	a.PutEmptyMap("failed_runs").PutInt("n", 1)            // cannot be read
	s.Events().AppendEmpty().SetName("exception")          // dropped
	s.Links().AppendEmpty().SetTraceID(pcommon.TraceID{9}) // dropped

	other := ss.Spans().AppendEmpty()
	other.SetName("provider_request")
	other.Attributes().PutStr("url", "https://api.openai.com")

	sink := new(consumertest.TracesSink)
	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(context.Background()) }()
	set := processortest.NewNopSettings(elmofilterprocessor.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	f := elmofilterprocessor.NewFactory()
	p, err := f.CreateTraces(context.Background(), set, f.CreateDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	if sink.SpanCount() != 1 {
		t.Fatalf("%d spans passed, want 1", sink.SpanCount())
	}
	out := sink.AllTraces()[0].ResourceSpans().At(0)
	if got := out.Resource().Attributes().AsRaw(); len(got) != 2 || got["elmo.deployment.id"] != deploymentID || got["service.name"] != "elmo-worker" {
		t.Errorf("resource = %v, want only the deployment ID and service name", got)
	}
	scope := out.ScopeSpans().At(0).Scope()
	if scope.Name() != "github.com/elmohq/telemetry" || scope.Attributes().Len() != 0 {
		t.Errorf("scope = %q %v, want the project's scope without attributes", scope.Name(), scope.Attributes().AsRaw())
	}
	got := out.ScopeSpans().At(0).Spans().At(0)
	want := map[string]any{"total_runs": int64(2), "models": []any{"claude-3-5-sonnet-20241022", "other"}}
	raw := got.Attributes().AsRaw()
	if len(raw) != len(want) || raw["total_runs"] != want["total_runs"] {
		t.Errorf("attributes = %v, want %v", raw, want)
	}
	if ms, _ := raw["models"].([]any); len(ms) != 2 || ms[0] != "claude-3-5-sonnet-20241022" || ms[1] != "other" {
		t.Errorf("models = %v, want %v", raw["models"], want["models"])
	}
	if got.Events().Len() != 0 || got.Links().Len() != 0 || got.Status().Message() != "" || got.TraceState().AsRaw() != "" {
		t.Errorf("span keeps events %d, links %d, status message %q, trace state %q", got.Events().Len(), got.Links().Len(), got.Status().Message(), got.TraceState().AsRaw())
	}
	if got.Status().Code() != ptrace.StatusCodeError {
		t.Errorf("status code %v, want Error (it says success=false)", got.Status().Code())
	}

	d := dropped(t, tel)
	for reason, n := range map[string]int64{
		"span_not_in_catalog": 1, "email": 0, "key_not_allowed": 1, "wrong_type": 2, "event": 1, "link": 1,
	} {
		if d[reason] != n {
			t.Errorf("dropped %s = %d, want %d (all: %v)", reason, d[reason], n, d)
		}
	}
}

// Only delta counters and gauges of the catalog pass; cumulative sums,
// up-down counters, histograms and instruments the catalog does not name
// are dropped and counted. Points that become alike once filtered are
// merged, so that they do not become events with one UUID.
func TestMetrics(t *testing.T) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	newResource(rm.Resource().Attributes())
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()

	runs := ms.AppendEmpty()
	runs.SetName("prompt_runs")
	sum := runs.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	for i, host := range []string{"gpu-1", "gpu-2"} {
		p := sum.DataPoints().AppendEmpty()
		p.SetIntValue(int64(i + 2))
		p.SetStartTimestamp(pcommon.Timestamp(100 + i))
		p.SetTimestamp(pcommon.Timestamp(200 + i))
		p.Attributes().PutStr("provider", "openai")
		p.Attributes().PutStr("outcome", "ok")
		p.Attributes().PutStr("host", host)
	}

	add := func(name string, setup func(pmetric.Metric)) {
		m := ms.AppendEmpty()
		m.SetName(name)
		setup(m)
	}
	add("provider_errors", func(m pmetric.Metric) { // cumulative
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		s.DataPoints().AppendEmpty().SetIntValue(1)
	})
	add("brands_created", func(m pmetric.Metric) { // up-down counter
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		s.DataPoints().AppendEmpty().SetIntValue(1)
	})
	add("prompts_tracked", func(m pmetric.Metric) { m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(4) })
	add("brands", func(m pmetric.Metric) { m.SetEmptyHistogram().DataPoints().AppendEmpty().SetCount(1) })
	add("queue_depth", func(m pmetric.Metric) { m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(4) })
	add("reports_run", func(m pmetric.Metric) { // a counter in the catalog, sent as a gauge
		m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(4)
	})

	sink := new(consumertest.MetricsSink)
	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(context.Background()) }()
	set := processortest.NewNopSettings(elmofilterprocessor.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	f := elmofilterprocessor.NewFactory()
	p, err := f.CreateMetrics(context.Background(), set, f.CreateDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeMetrics(context.Background(), md); err != nil {
		t.Fatal(err)
	}
	if sink.DataPointCount() != 2 {
		t.Fatalf("%d data points passed, want 2", sink.DataPointCount())
	}
	out := sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	names := make(map[string]pmetric.Metric)
	for _, m := range out.All() {
		names[m.Name()] = m
	}
	if len(names) != 2 || names["prompt_runs"].Name() == "" || names["prompts_tracked"].Name() == "" {
		t.Fatalf("metrics passed: %v, want prompt_runs and prompts_tracked", names)
	}
	pt := names["prompt_runs"].Sum().DataPoints().At(0)
	if pt.IntValue() != 5 || pt.StartTimestamp() != 100 || pt.Timestamp() != 201 || pt.Attributes().Len() != 2 {
		t.Errorf("merged point = %d over [%d, %d] with %v, want 5 over [100, 201] without host", pt.IntValue(), pt.StartTimestamp(), pt.Timestamp(), pt.Attributes().AsRaw())
	}
	d := dropped(t, tel)
	for reason, n := range map[string]int64{
		"cumulative_temporality": 1, "instrument_not_in_catalog": 4, "key_not_allowed": 2,
	} {
		if d[reason] != n {
			t.Errorf("dropped %s = %d, want %d (all: %v)", reason, d[reason], n, d)
		}
	}
}

// Data with nothing the catalog allows is not passed on at all.
func TestNothingLeft(t *testing.T) {
	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("http.request")
	sink := new(consumertest.TracesSink)
	f := elmofilterprocessor.NewFactory()
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(elmofilterprocessor.Type), f.CreateDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	if len(sink.AllTraces()) != 0 {
		t.Errorf("%d batches passed on, want none", len(sink.AllTraces()))
	}
}
