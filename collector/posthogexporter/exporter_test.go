package posthogexporter_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/elmohq/telemetry/collector/posthogexporter"
	"github.com/elmohq/telemetry/exporter/posthogmap"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const installID = "0b9f4c8e-6a3d-4c1e-9f2a-7d5b8e1c3a40"

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*posthogexporter.Config)
		wantErr bool
	}{
		{name: "defaults with a key", edit: func(*posthogexporter.Config) {}},
		{name: "v1", edit: func(c *posthogexporter.Config) { c.CaptureAPI = "v1" }},
		{name: "no key", edit: func(c *posthogexporter.Config) { c.APIKey = "" }, wantErr: true},
		{name: "endpoint without scheme", edit: func(c *posthogexporter.Config) { c.Endpoint = "us.i.posthog.com" }, wantErr: true},
		{name: "unknown capture API", edit: func(c *posthogexporter.Config) { c.CaptureAPI = "v2" }, wantErr: true},
		{name: "batch size zero", edit: func(c *posthogexporter.Config) { c.BatchSize = 0 }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := posthogexporter.NewFactory().CreateDefaultConfig().(*posthogexporter.Config)
			cfg.APIKey = "phc_test"
			tt.edit(cfg)
			if err := cfg.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	if err := componenttest.CheckConfigStruct(posthogexporter.NewFactory().CreateDefaultConfig()); err != nil {
		t.Error(err)
	}
}

func traces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("elmo.install.id", installID)
	rs.Resource().Attributes().PutStr("service.name", "elmo-cli")
	s := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetName("cli_version")
	s.SetTraceID(pcommon.TraceID{1})
	s.SetSpanID(pcommon.SpanID{2})
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(1500 * time.Millisecond)))
	s.Attributes().PutInt("exit_code", 0)
	// A span of a resource with no ID is not sent.
	anon := td.ResourceSpans().AppendEmpty()
	anon.ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("cli_version")
	return td
}

// newExporter returns a traces exporter with neither queue nor retries, so
// that each ConsumeTraces returns the outcome of its request.
func newExporter(t *testing.T, srv *posthogtest.Server, capture string) (func(context.Context, ptrace.Traces) error, func(context.Context, pmetric.Metrics) error) {
	t.Helper()
	f := posthogexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*posthogexporter.Config)
	cfg.Endpoint = srv.URL
	cfg.APIKey = "phc_test"
	cfg.CaptureAPI = capture
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.BackOffConfig.Enabled = false
	cfg.TimeoutConfig.Timeout = 2 * time.Second
	set := exportertest.NewNopSettings(posthogexporter.Type)
	te, err := f.CreateTraces(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	me, err := f.CreateMetrics(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	host := componenttest.NewNopHost()
	if err := te.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	if err := me.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = te.Shutdown(context.Background())
		_ = me.Shutdown(context.Background())
	})
	return te.ConsumeTraces, me.ConsumeMetrics
}

// Each request's outcome reaches exporterhelper classified: delivered,
// refused for good (permanent, never retried), or worth retrying.
func TestDeliveryOutcomes(t *testing.T) {
	tests := []struct {
		name          string
		respond       posthogtest.Response
		wantErr       bool
		wantPermanent bool
	}{
		{name: "accepted", respond: posthogtest.Accept()},
		{name: "bad request", respond: posthogtest.Respond(http.StatusBadRequest), wantErr: true, wantPermanent: true},
		{name: "unavailable", respond: posthogtest.Respond(http.StatusServiceUnavailable), wantErr: true},
	}
	for _, capture := range []string{"legacy", "v1"} {
		for _, tt := range tests {
			t.Run(capture+"/"+tt.name, func(t *testing.T) {
				srv := posthogtest.NewServer()
				defer srv.Close()
				srv.SetDefault(tt.respond)
				consumeTraces, _ := newExporter(t, srv, capture)
				err := consumeTraces(context.Background(), traces())
				if (err != nil) != tt.wantErr || consumererror.IsPermanent(err) != tt.wantPermanent {
					t.Fatalf("ConsumeTraces = %v (permanent %v), want error %v, permanent %v", err, consumererror.IsPermanent(err), tt.wantErr, tt.wantPermanent)
				}
				if tt.wantErr {
					return
				}
				evs := srv.Events()
				if len(evs) != 1 {
					t.Fatalf("%d events arrived, want 1", len(evs))
				}
				e := evs[0]
				if e.UUID != posthogmap.SpanUUID([16]byte{1}, [8]byte{2}) || e.DistinctID != installID || e.Event != "cli_version" {
					t.Errorf("event = %s %s %s", e.UUID, e.DistinctID, e.Event)
				}
				if e.Properties["duration_ms"] != float64(1500) || e.Properties["service"] != "elmo-cli" || e.Properties["success"] != true {
					t.Errorf("properties = %v", e.Properties)
				}
			})
		}
	}
}

// Only delta counters and gauges become events; a zero delta is nothing.
func TestMetricEvents(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	_, consumeMetrics := newExporter(t, srv, "legacy")
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("elmo.deployment.id", installID)
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	for _, v := range []int64{3, 0} {
		m := ms.AppendEmpty()
		m.SetName("reports_run")
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		s.DataPoints().AppendEmpty().SetIntValue(v)
	}
	cum := ms.AppendEmpty()
	cum.SetName("brands_created")
	cs := cum.SetEmptySum()
	cs.SetIsMonotonic(true)
	cs.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	cs.DataPoints().AppendEmpty().SetIntValue(9)
	g := ms.AppendEmpty()
	g.SetName("brands")
	g.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(0)
	if err := consumeMetrics(context.Background(), md); err != nil {
		t.Fatal(err)
	}
	evs := srv.Events()
	if len(evs) != 2 {
		t.Fatalf("%d events arrived, want 2: %v", len(evs), posthogtest.Names(evs))
	}
	for _, e := range evs {
		switch e.Event {
		case "reports_run":
			if e.Properties["value"] != float64(3) {
				t.Errorf("reports_run value = %v, want 3", e.Properties["value"])
			}
		case "brands":
			if e.Properties["value"] != float64(0) {
				t.Errorf("brands value = %v, want 0", e.Properties["value"])
			}
		default:
			t.Errorf("unexpected event %s", e.Event)
		}
	}
}

// exporterhelper's retry_on_failure is the one retry loop: each of its
// attempts is one request to PostHog, never multiplied by retries of the
// delivery client's own, with either capture API (with v1, every request
// is a first attempt under a request ID of its own).
func TestRetriesAreExporterhelpers(t *testing.T) {
	const failures = 3
	for _, capture := range []string{"legacy", "v1"} {
		t.Run(capture, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			for range failures {
				srv.Script(posthogtest.Respond(http.StatusServiceUnavailable))
			}

			f := posthogexporter.NewFactory()
			cfg := f.CreateDefaultConfig().(*posthogexporter.Config)
			cfg.Endpoint = srv.URL
			cfg.APIKey = "phc_test"
			cfg.CaptureAPI = capture
			cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
			cfg.BackOffConfig.Enabled = true
			cfg.BackOffConfig.InitialInterval = time.Millisecond
			cfg.BackOffConfig.MaxInterval = time.Millisecond
			cfg.BackOffConfig.RandomizationFactor = 0
			cfg.BackOffConfig.MaxElapsedTime = time.Minute // a bound, never reached
			cfg.TimeoutConfig.Timeout = 10 * time.Second
			core, logs := observer.New(zapcore.InfoLevel)
			set := exportertest.NewNopSettings(posthogexporter.Type)
			set.Logger = zap.New(core)
			te, err := f.CreateTraces(context.Background(), set, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := te.Start(context.Background(), componenttest.NewNopHost()); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = te.Shutdown(context.Background()) }()

			if err := te.ConsumeTraces(context.Background(), traces()); err != nil {
				t.Fatalf("ConsumeTraces = %v, want delivered once the server recovers", err)
			}
			retries := logs.FilterMessageSnippet("Will retry the request").Len()
			reqs := srv.Requests()
			if retries != failures || len(reqs) != retries+1 {
				t.Errorf("exporterhelper retried %d times and PostHog got %d requests; want %d retries and one request per attempt (%d)",
					retries, len(reqs), failures, failures+1)
			}
			if n := len(srv.Events()); n != 1 {
				t.Errorf("%d events arrived, want 1", n)
			}
			if capture == "v1" {
				ids := map[string]bool{}
				for _, r := range reqs {
					if a := r.Header.Get("PostHog-Attempt"); a != "1" {
						t.Errorf("PostHog-Attempt = %q, want 1: the client retried on its own", a)
					}
					ids[r.Header.Get("PostHog-Request-Id")] = true
				}
				if len(ids) != len(reqs) {
					t.Errorf("%d request IDs for %d requests, want one per exporterhelper attempt", len(ids), len(reqs))
				}
			}
		})
	}
}

// The server's Retry-After reaches exporterhelper, whose next attempt
// waits at least that long even with a shorter backoff of its own.
func TestRetryAfterReachesExporterhelper(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.Script(posthogtest.RespondRetryAfter(http.StatusServiceUnavailable, time.Second))
	f := posthogexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*posthogexporter.Config)
	cfg.Endpoint = srv.URL
	cfg.APIKey = "phc_test"
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.BackOffConfig.InitialInterval = time.Millisecond
	cfg.BackOffConfig.MaxInterval = time.Millisecond
	cfg.BackOffConfig.MaxElapsedTime = time.Minute
	te, err := f.CreateTraces(context.Background(), exportertest.NewNopSettings(posthogexporter.Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := te.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = te.Shutdown(context.Background()) }()
	if err := te.ConsumeTraces(context.Background(), traces()); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	// A lower bound only: the retry may come later, never sooner.
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < time.Second {
		t.Errorf("retried after %v, before the server's Retry-After of 1s", gap)
	}
}
