package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testKey   = "phc_test"
	installID = "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10"
)

// testTimeout bounds waits that should end long before it; it is not a
// speed assertion.
const testTimeout = 30 * time.Second

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func cliResource() *resource.Resource {
	return resource.NewSchemaless(
		attribute.String("elmo.install.id", installID),
		attribute.String("service.name", "elmo-cli"),
		attribute.String("service.version", "1.2.3"),
		attribute.String("os.type", "linux"),
		attribute.String("host.arch", "amd64"),
		attribute.String("process.runtime.name", "go"),
		attribute.String("process.runtime.version", "go1.26.0"),
		attribute.String("elmo.deployment.mode", "local"),
		// Canaries: present on the resource, never to be sent.
		attribute.String("host.name", "canary-hostname"),
		attribute.String("os.description", "canary-os-description"),
		attribute.String("process.executable.path", "/canary/path"),
	)
}

func newClient(t *testing.T, srv *posthogtest.Server, opts ...exporter.Option) *exporter.Client {
	t.Helper()
	base := []exporter.Option{
		exporter.WithHost(srv.URL),
		exporter.WithAPIKey(testKey),
	}
	c, err := exporter.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func shutdown(t *testing.T, c *exporter.Client) {
	t.Helper()
	if err := c.Shutdown(waitCtx(t)); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

var spanSeq byte

func span(name string, res *resource.Resource, attrs ...attribute.KeyValue) tracetest.SpanStub {
	spanSeq++
	start := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	return tracetest.SpanStub{
		Name: name,
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{1, 2, 3, spanSeq},
			SpanID:  trace.SpanID{4, 5, 6, spanSeq},
		}),
		StartTime:  start,
		EndTime:    start.Add(1500 * time.Millisecond),
		Attributes: attrs,
		Resource:   res,
	}
}

// export delivers stubs through a span exporter over s and fails the test
// if they are not all delivered.
func export(t *testing.T, s exporter.Sender, stubs ...tracetest.SpanStub) {
	t.Helper()
	if err := exportErr(t, waitCtx(t), s, stubs...); err != nil {
		t.Fatal(err)
	}
}

// exportErr delivers stubs through a span exporter over s within ctx and
// returns ExportSpans' error.
func exportErr(t *testing.T, ctx context.Context, s exporter.Sender, stubs ...tracetest.SpanStub) error {
	t.Helper()
	exp, err := exporter.NewSpanExporter(s)
	if err != nil {
		t.Fatal(err)
	}
	return exp.ExportSpans(ctx, tracetest.SpanStubs(stubs).Snapshots())
}

func TestSpanMapping(t *testing.T) {
	srv := posthogtest.NewServer(posthogtest.WithAPIKey(testKey))
	defer srv.Close()
	c := newClient(t, srv)

	ok := span("cli_init", cliResource(), attribute.Int("exit_code", 0), attribute.String("postgres_mode", "embedded"))
	failed := span("cli_start", cliResource(), attribute.Int("exit_code", 1))
	failed.Status = sdktrace.Status{Code: codes.Error, Description: "boom"}
	export(t, c, ok, failed)
	shutdown(t, c)

	evs := srv.Events()
	if len(evs) != 2 {
		t.Fatalf("got %d events, want 2", len(evs))
	}
	byName := map[string]posthogtest.Event{}
	for _, ev := range evs {
		byName[ev.Event] = ev
	}
	ev := byName["cli_init"]
	if ev.DistinctID != installID {
		t.Errorf("distinct_id = %q, want the install ID", ev.DistinctID)
	}
	u, err := uuid.Parse(ev.UUID)
	if err != nil || u.Version() != 5 {
		t.Errorf("uuid = %q (%v), want a version 5 UUID", ev.UUID, err)
	}
	if want := ok.EndTime.UTC(); !ev.Timestamp.Equal(want) || !strings.HasSuffix(string(ev.Raw), "") {
		t.Errorf("timestamp = %v, want %v", ev.Timestamp, want)
	}
	if !bytes.Contains(ev.Raw, []byte(`"timestamp":"2025-03-04T04:06:08.5Z"`)) {
		t.Errorf("timestamp not sent as UTC span end: %s", ev.Raw)
	}
	want := map[string]any{
		"exit_code":       float64(0),
		"postgres_mode":   "embedded",
		"version":         "1.2.3",
		"os":              "linux",
		"arch":            "amd64",
		"runtime_version": "go1.26.0",
		"deployment_mode": "local",
		"service":         "elmo-cli",
		"duration_ms":     float64(1500),
		"success":         true,
		"$lib":            "elmo-telemetry",
	}
	for k, v := range want {
		if got := ev.Properties[k]; !reflect.DeepEqual(got, v) {
			t.Errorf("property %s = %#v, want %#v", k, got, v)
		}
	}
	if v, _ := ev.Properties["$lib_version"].(string); v == "" {
		t.Errorf("$lib_version missing")
	}
	if got := byName["cli_start"].Properties["success"]; got != false {
		t.Errorf("success of an Error span = %v, want false", got)
	}
	for _, ev := range evs {
		for _, banned := range []string{"$geoip_disable", "$is_server"} {
			if _, ok := ev.Properties[banned]; ok {
				t.Errorf("%s: property %s must not be sent", ev.Event, banned)
			}
		}
		for _, canary := range []string{"canary-hostname", "canary-os-description", "/canary/path", "boom"} {
			if bytes.Contains(ev.Raw, []byte(canary)) {
				t.Errorf("%s: %q leaked into %s", ev.Event, canary, ev.Raw)
			}
		}
		for _, key := range []string{"host.name", "os.description", "process.executable.path", "process.runtime.name", "elmo.install.id"} {
			if _, ok := ev.Properties[key]; ok {
				t.Errorf("%s: resource attribute %s became a property", ev.Event, key)
			}
		}
	}
}

func TestDistinctID(t *testing.T) {
	tests := []struct {
		name  string
		attrs []attribute.KeyValue
		want  string // empty: not sent
	}{
		{"install ID wins", []attribute.KeyValue{attribute.String("elmo.install.id", "i"), attribute.String("elmo.deployment.id", "d")}, "i"},
		{"deployment ID", []attribute.KeyValue{attribute.String("elmo.deployment.id", "d")}, "d"},
		{"neither: dropped", []attribute.KeyValue{attribute.String("service.name", "elmo-web")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			c := newClient(t, srv)
			defer shutdown(t, c)
			err := exportErr(t, waitCtx(t), c, span("deployment_heartbeat", resource.NewSchemaless(tt.attrs...)))
			evs := srv.Events()
			if tt.want == "" {
				if len(evs) != 0 || len(srv.Requests()) != 0 {
					t.Fatalf("sent %d events, want none", len(evs))
				}
				if c.Stats().Dropped != 1 {
					t.Fatalf("Dropped = %d, want 1", c.Stats().Dropped)
				}
				// Such an event can never be sent: nothing is returned
				// to send again.
				var se *exporter.SendError
				if !errors.As(err, &se) || !errors.Is(err, exporter.ErrRejected) || len(se.Undelivered) != 0 {
					t.Fatalf("ExportSpans = %v, want a SendError wrapping ErrRejected with nothing undelivered", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].DistinctID != tt.want {
				t.Fatalf("events %+v, want one with distinct_id %q", evs, tt.want)
			}
		})
	}
}

func TestSameSpanSameUUID(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	s := span("cli_init", cliResource())
	for range 2 { // two processes sending the same span
		c := newClient(t, srv)
		export(t, c, s)
		shutdown(t, c)
	}
	evs := srv.Events()
	if len(evs) != 2 || evs[0].UUID != evs[1].UUID {
		t.Fatalf("uuids %v, want the same UUID twice", evs)
	}
	other := span("cli_init", cliResource())
	c := newClient(t, srv)
	export(t, c, other)
	shutdown(t, c)
	if evs := srv.Events(); evs[2].UUID == evs[0].UUID {
		t.Fatal("a different span got the same UUID")
	}
}

// After ExportSpans or Export returns nil, the server has the events: the
// exporters deliver when called and hold nothing.
func TestExportersDeliverBeforeReturning(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			c := newClient(t, srv, exporter.WithCaptureAPI(api))
			defer shutdown(t, c)

			export(t, c, span("cli_init", cliResource()), span("cli_start", cliResource()))
			if got := posthogtest.Names(srv.Events()); len(got) != 2 {
				t.Fatalf("after ExportSpans returned the server has %v, want both spans", got)
			}

			me, err := exporter.NewMetricExporter(c)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			rm := &metricdata.ResourceMetrics{
				Resource: cliResource(),
				ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
					Name: "prompt_runs",
					Data: metricdata.Sum[int64]{IsMonotonic: true, Temporality: metricdata.DeltaTemporality,
						DataPoints: []metricdata.DataPoint[int64]{{Value: 3, StartTime: now, Time: now}}},
				}}}},
			}
			if err := me.Export(waitCtx(t), rm); err != nil {
				t.Fatal(err)
			}
			if got := posthogtest.Named(srv.Events(), "prompt_runs"); len(got) != 1 {
				t.Fatalf("after Export returned the server has %d prompt_runs events, want 1", len(got))
			}
			if st := c.Stats(); st.Delivered != 3 {
				t.Errorf("stats %+v, want 3 delivered", st)
			}
		})
	}
}

// When the server cannot take the events, ExportSpans returns a SendError
// that names every one of them, so the caller can keep them.
func TestExportSpansServerDown(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.SetDefault(posthogtest.Respond(503))
	c := newClient(t, srv, exporter.WithMaxRetries(1))
	defer shutdown(t, c)
	err := exportErr(t, waitCtx(t), c, span("a", cliResource()), span("b", cliResource()))
	var se *exporter.SendError
	if !errors.As(err, &se) || errors.Is(err, exporter.ErrRejected) {
		t.Fatalf("ExportSpans = %v, want a SendError that is not a refusal", err)
	}
	if got := eventNames(se.Undelivered); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("undelivered %v, want [a b]", got)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests, want 2 (one retry)", n)
	}
	if st := c.Stats(); st.Undelivered != 2 || st.Dropped != 0 || st.Rejected != 0 {
		t.Errorf("stats %+v, want 2 undelivered and nothing lost", st)
	}
}

// eventNames returns the name of each event, in order.
func eventNames(evs []exporter.Event) []string {
	names := make([]string, len(evs))
	for i, ev := range evs {
		names[i] = ev.Event
	}
	return names
}

// Batches of 4 KiB or more are gzip-compressed; a smaller one, such as
// a CLI run's, is sent as it is, which costs less than compressing it.
func TestGzip(t *testing.T) {
	tests := []struct {
		name     string
		spans    int
		opts     []exporter.Option
		wantGzip bool
	}{
		{"one event", 1, nil, false},
		{"a large batch", 40, nil, true},
		{"one event, compression on", 1, []exporter.Option{exporter.WithCompression(true)}, true},
		{"a large batch, compression off", 40, []exporter.Option{exporter.WithCompression(false)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			c := newClient(t, srv, tt.opts...)
			var stubs []tracetest.SpanStub
			for range tt.spans {
				stubs = append(stubs, span("cli_init", cliResource()))
			}
			export(t, c, stubs...)
			shutdown(t, c)
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Gzip != tt.wantGzip || reqs[0].Status != 200 {
				t.Fatalf("requests %+v, want one accepted request, gzip %v", reqs, tt.wantGzip)
			}
			if n := len(srv.Events()); n != tt.spans {
				t.Errorf("%d events accepted, want %d", n, tt.spans)
			}
		})
	}
}

func TestRetriesDeliverOnce(t *testing.T) {
	tests := []struct {
		name   string
		script []posthogtest.Response
	}{
		{"503 503 200", []posthogtest.Response{posthogtest.Respond(503), posthogtest.Respond(503)}},
		{"500 408 200", []posthogtest.Response{posthogtest.Respond(500), posthogtest.Respond(408)}},
		{"connection closed", []posthogtest.Response{posthogtest.CloseConnection()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.Script(tt.script...)
			c := newClient(t, srv)
			export(t, c, span("a", cliResource()), span("b", cliResource()), span("c", cliResource()))
			shutdown(t, c)

			if got, want := len(srv.Requests()), len(tt.script)+1; got != want {
				t.Errorf("%d requests, want %d", got, want)
			}
			seen := map[string]int{}
			for _, ev := range srv.Events() {
				seen[ev.UUID]++
			}
			if len(seen) != 3 {
				t.Fatalf("%d distinct events arrived, want 3", len(seen))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("event %s arrived %d times", id, n)
				}
			}
			st := c.Stats()
			if st.Delivered != 3 || st.Retried != uint64(len(tt.script)) || st.Undelivered != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestNoRetryOnClientError(t *testing.T) {
	for _, status := range []int{400, 401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.SetDefault(posthogtest.Respond(status))
			c := newClient(t, srv)
			defer shutdown(t, c)
			err := exportErr(t, waitCtx(t), c, span("a", cliResource()), span("b", cliResource()))
			var se *exporter.SendError
			if !errors.As(err, &se) || !errors.Is(err, exporter.ErrRejected) || se.Rejected != 2 || len(se.Undelivered) != 0 {
				t.Fatalf("ExportSpans = %v, want both events refused for good and none to send again", err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Fatalf("%d requests, want exactly 1", n)
			}
			if st := c.Stats(); st.Rejected != 2 || st.Retried != 0 || st.Undelivered != 0 {
				t.Fatalf("stats %+v, want 2 rejected, no retry", st)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.Script(posthogtest.RespondRetryAfter(429, 2*time.Second))
	c := newClient(t, srv)
	export(t, c, span("a", cliResource()))
	shutdown(t, c)
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].Status != 200 {
		t.Fatalf("requests %+v, want a 429 then a 200", reqs)
	}
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < 2*time.Second {
		t.Fatalf("retried after %v, want at least the 2s Retry-After", gap)
	}
}

// A server that never answers holds ExportSpans only until its context
// ends; the events come back undelivered, and can be sent again, keeping
// their UUIDs, even by another process that stored them as JSON.
func TestHangingServer(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.SetDefault(posthogtest.Hang())
	c := newClient(t, srv)
	defer shutdown(t, c)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := exportErr(t, ctx, c, span("a", cliResource()), span("b", cliResource()))
	if ctx.Err() == nil {
		t.Fatal("ExportSpans returned before its deadline although the server never answered")
	}
	var se *exporter.SendError
	if !errors.As(err, &se) || !errors.Is(err, context.DeadlineExceeded) || len(se.Undelivered) != 2 {
		t.Fatalf("err = %v, want a SendError with 2 events and DeadlineExceeded", err)
	}
	if st := c.Stats(); st.Undelivered != 2 || st.Delivered != 0 {
		t.Fatalf("stats %+v", st)
	}

	srv.SetDefault(posthogtest.Accept())
	c2 := newClient(t, srv)
	defer shutdown(t, c2)
	b, err := json.Marshal(se.Undelivered)
	if err != nil {
		t.Fatal(err)
	}
	var again []exporter.Event
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	if err := c2.Send(waitCtx(t), again...); err != nil {
		t.Fatalf("sending the stored events again: %v", err)
	}
	got := map[string]bool{}
	for _, ev := range srv.Events() {
		got[ev.UUID] = true
	}
	for _, ev := range se.Undelivered {
		if !got[ev.UUID] {
			t.Errorf("re-sent event %s did not arrive with its UUID", ev.UUID)
		}
	}
}

func TestLargeBatchIsSplit(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, exporter.WithBatchSize(100))
	big := strings.Repeat("x", 40_000)
	var stubs []tracetest.SpanStub
	for i := range 40 { // about 1.6 MB in one batch by count
		stubs = append(stubs, span(fmt.Sprint("e", i), cliResource(), attribute.String("blob", big)))
	}
	export(t, c, stubs...)
	shutdown(t, c)
	if n := len(srv.Events()); n != 40 {
		t.Fatalf("%d events arrived, want 40", n)
	}
	reqs := srv.Requests()
	if len(reqs) < 4 {
		t.Fatalf("%d requests, want the batch split in several", len(reqs))
	}
	for _, r := range reqs {
		if r.Status != 200 {
			t.Fatalf("a request was answered %d", r.Status)
		}
	}
}

func TestDebugWriter(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	var buf bytes.Buffer
	dbg, err := exporter.NewClient(exporter.WithDebug(&buf), exporter.WithHost(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	s := span("cli_init", cliResource(), attribute.Int("exit_code", 0))
	export(t, dbg, s)
	if err := dbg.Shutdown(waitCtx(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("debug client sent %d requests", n)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("debug output %q, want one line", buf.String())
	}

	// The same span through a real client: the line must be the event sent.
	c := newClient(t, srv)
	export(t, c, s)
	shutdown(t, c)
	var printed, sent map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &printed); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(srv.Events()[0].Raw, &sent); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(printed, sent) {
		t.Fatalf("debug printed\n%v\nbut the client sent\n%v", printed, sent)
	}
}

func TestNewClientValidates(t *testing.T) {
	tests := []struct {
		name string
		opts []exporter.Option
	}{
		{"no key", nil},
		{"bad host", []exporter.Option{exporter.WithAPIKey("k"), exporter.WithHost("ftp://x")}},
		{"zero batch", []exporter.Option{exporter.WithAPIKey("k"), exporter.WithBatchSize(0)}},
		{"zero uploads", []exporter.Option{exporter.WithAPIKey("k"), exporter.WithMaxUploads(0)}},
		{"too many retries", []exporter.Option{exporter.WithAPIKey("k"), exporter.WithMaxRetries(10)}},
		{"negative retries", []exporter.Option{exporter.WithAPIKey("k"), exporter.WithMaxRetries(-1)}},
		{"unknown capture API", []exporter.Option{exporter.WithAPIKey("k"), exporter.WithCaptureAPI(exporter.CaptureAPI(7))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := exporter.NewClient(tt.opts...); err == nil {
				c.Shutdown(context.Background())
				t.Fatal("want an error")
			}
		})
	}
}

func TestNoop(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter.Noop{}))
	_, s := tp.Tracer("t").Start(context.Background(), "cli_init")
	s.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exporter.Noop{})))
	if err := mp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
