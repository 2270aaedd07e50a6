package envexport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/elmohq/telemetry/internal/testkit/otlptest"
)

// logRecorder is a slog.Handler that keeps the messages logged.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}

func (r *logRecorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// signal drives one OTLP exporter under test: export sends the i-th
// request, which carries the value i; sent returns the values of the
// requests the receiver accepted, in the order it accepted them.
type signal struct {
	name     string
	exporter func(t *testing.T, vars map[string]string, opts ...Option) (export func(ctx context.Context, i int) error, c *otlpClient, shutdown func(context.Context) error)
	sent     func(rcv *otlptest.Server) []int
}

var signals = []signal{
	{
		name: "metrics",
		exporter: func(t *testing.T, vars map[string]string, opts ...Option) (func(context.Context, int) error, *otlpClient, func(context.Context) error) {
			exp, err := NewMetricExporter(context.Background(), OTLP, env(vars), io.Discard, opts...)
			if err != nil {
				t.Fatal(err)
			}
			e := exp.(*otlpMetricExporter)
			return func(ctx context.Context, i int) error { return e.Export(ctx, counterDelta(int64(i))) }, e.c, e.Shutdown
		},
		sent: func(rcv *otlptest.Server) []int {
			var out []int
			for _, r := range rcv.Requests() {
				if r.Status == http.StatusOK {
					out = append(out, int(otlptest.Sum(r.ResourceMetrics(), "brands_created")))
				}
			}
			return out
		},
	},
	{
		name: "spans",
		exporter: func(t *testing.T, vars map[string]string, opts ...Option) (func(context.Context, int) error, *otlpClient, func(context.Context) error) {
			exp, err := NewSpanExporter(context.Background(), OTLP, env(vars), io.Discard, opts...)
			if err != nil {
				t.Fatal(err)
			}
			e := exp.(*otlpSpanExporter)
			return func(ctx context.Context, i int) error {
				return e.ExportSpans(ctx, tracetest.SpanStubs{{Name: fmt.Sprintf("span-%d", i)}}.Snapshots())
			}, e.c, e.Shutdown
		},
		sent: func(rcv *otlptest.Server) []int {
			var out []int
			for _, r := range rcv.Requests() {
				if r.Status != http.StatusOK {
					continue
				}
				for _, rs := range r.ResourceSpans() {
					for _, ss := range rs.ScopeSpans {
						for _, s := range ss.Spans {
							var i int
							_, _ = fmt.Sscanf(s.Name, "span-%d", &i)
							out = append(out, i)
						}
					}
				}
			}
			return out
		},
	},
}

// counterDelta is one export of the brands_created counter, whose delta
// is v.
func counterDelta(v int64) *metricdata.ResourceMetrics {
	now := time.Now()
	return &metricdata.ResourceMetrics{
		Resource: sdkresource.NewSchemaless(attribute.String("service.name", "elmo-web")),
		ScopeMetrics: []metricdata.ScopeMetrics{{
			Scope: instrumentation.Scope{Name: "web"},
			Metrics: []metricdata.Metrics{{Name: "brands_created", Data: metricdata.Sum[int64]{
				Temporality: metricdata.DeltaTemporality, IsMonotonic: true,
				DataPoints: []metricdata.DataPoint[int64]{{StartTime: now, Time: now, Value: v}},
			}}},
		}},
	}
}

// fast makes c wait a millisecond or so between attempts, so that tests
// of many attempts do not wait for the real backoff.
func fast(c *otlpClient) {
	c.retryBase, c.retryMax = time.Millisecond, 5*time.Millisecond
}

func statuses(rcv *otlptest.Server) []int {
	var out []int
	for _, r := range rcv.Requests() {
		out = append(out, r.Status)
	}
	return out
}

// What the OTLP/HTTP specification calls retryable is sent again until
// the endpoint accepts it, and arrives once.
func TestOTLPRetriesWhatIsRetryable(t *testing.T) {
	for _, sig := range signals {
		for _, tc := range []struct {
			name   string
			answer otlptest.Response
			status int // recorded for the answer
		}{
			{"429", otlptest.Respond(http.StatusTooManyRequests), 429},
			{"502", otlptest.Respond(http.StatusBadGateway), 502},
			{"503", otlptest.Respond(http.StatusServiceUnavailable), 503},
			{"504", otlptest.Respond(http.StatusGatewayTimeout), 504},
			{"network error", otlptest.CloseConnection(), 0},
		} {
			t.Run(sig.name+"/"+tc.name, func(t *testing.T) {
				rcv := otlptest.NewServer()
				defer rcv.Close()
				rcv.Script(tc.answer, tc.answer)
				export, c, shutdown := sig.exporter(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL})
				defer shutdown(context.Background())
				fast(c)
				if err := export(context.Background(), 7); err != nil {
					t.Fatalf("export: %v", err)
				}
				if got, want := statuses(rcv), []int{tc.status, tc.status, 200}; !slices.Equal(got, want) {
					t.Errorf("answers %v, want %v", got, want)
				}
				if got := sig.sent(rcv); !slices.Equal(got, []int{7}) {
					t.Errorf("accepted %v, want [7]", got)
				}
			})
		}
	}
}

// Any other answer refuses the request for good: it is not sent again,
// the export says so, and the next export sends only its own.
func TestOTLPDoesNotRetryRefusals(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 413, 500} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			rcv := otlptest.NewServer()
			defer rcv.Close()
			rcv.Script(otlptest.Respond(code))
			logs := &logRecorder{}
			export, c, shutdown := signals[0].exporter(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}, WithLogger(slog.New(logs)))
			fast(c)
			err := export(context.Background(), 1)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprint(code)) || !strings.Contains(err.Error(), "dropped") {
				t.Fatalf("export: %v; want an error that names %d and says the request was dropped", err, code)
			}
			if err := export(context.Background(), 2); err != nil {
				t.Fatalf("the next export: %v", err)
			}
			if got, want := statuses(rcv), []int{code, 200}; !slices.Equal(got, want) {
				t.Errorf("answers %v, want %v: a refused request is not sent again", got, want)
			}
			if got := signals[0].sent(rcv); !slices.Equal(got, []int{2}) {
				t.Errorf("accepted %v, want [2]", got)
			}
			_ = shutdown(context.Background())
			if got := logs.lines(); len(got) != 1 || !strings.Contains(got[0], "during the run 1 request (1 data point) refused") ||
				strings.Contains(got[0], "lost") {
				t.Errorf("logged %q, want one line at shutdown counting the refused request", got)
			}
		})
	}
}

// A Retry-After, in seconds or as an HTTP date, delays the next attempt
// at least that long.
func TestOTLPHonoursRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value func() string
	}{
		{"seconds", func() string { return "1" }},
		// An HTTP date has whole seconds: two seconds from now is at least
		// one from now.
		{"HTTP date", func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := otlptest.NewServer()
			defer rcv.Close()
			rcv.Script(otlptest.Respond(http.StatusTooManyRequests).WithRetryAfter(tc.value()))
			export, c, shutdown := signals[0].exporter(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL})
			defer shutdown(context.Background())
			fast(c)
			if err := export(context.Background(), 1); err != nil {
				t.Fatalf("export: %v", err)
			}
			reqs := rcv.Requests()
			if len(reqs) != 2 || reqs[1].Status != 200 {
				t.Fatalf("answers %v, want [429 200]", statuses(rcv))
			}
			if gap := reqs[1].Time.Sub(reqs[0].Time); gap < time.Second {
				t.Errorf("sent again after %v, before the Retry-After of at least 1s", gap)
			}
		})
	}

	// A Retry-After longer than an export may take: the export gives up
	// at once, and the next exports before it has passed send nothing.
	t.Run("longer than the export timeout", func(t *testing.T) {
		rcv := otlptest.NewServer()
		defer rcv.Close()
		rcv.Script(otlptest.Respond(http.StatusServiceUnavailable).WithRetryAfter("20"))
		logs := &logRecorder{}
		export, c, shutdown := signals[0].exporter(t, map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "5000"}, WithLogger(slog.New(logs)))
		fast(c)
		for i := 1; i <= 3; i++ {
			err := export(context.Background(), i)
			if want := fmt.Sprintf("%d requests", i); err == nil || i > 1 && !strings.Contains(err.Error(), want) {
				t.Errorf("export %d: %v; want an error saying %s are held", i, err, want)
			}
		}
		if got := statuses(rcv); !slices.Equal(got, []int{503}) {
			t.Errorf("answers %v, want only the first 503: nothing is sent before the Retry-After", got)
		}
		// Nor by Shutdown's last attempt, which the server's wait outlasts.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = shutdown(ctx)
		if got := statuses(rcv); !slices.Equal(got, []int{503}) {
			t.Errorf("answers %v after Shutdown, want only the first 503", got)
		}
		if got := logs.lines(); len(got) != 1 || !strings.Contains(got[0], "3 requests (3 data points) not delivered, now lost") {
			t.Errorf("logged %q, want one line counting the 3 requests lost", got)
		}
	})
}

// The backoff doubles from its first wait up to its cap, less at most a
// half for jitter.
func TestBackoff(t *testing.T) {
	base, limit := 500*time.Millisecond, 30*time.Second
	for failures, want := range map[int]time.Duration{1: base, 2: 2 * base, 3: 4 * base, 7: limit, 40: limit} {
		for range 20 {
			if got := backoff(base, limit, failures); got < want/2 || got > want {
				t.Fatalf("backoff after %d failures = %v, want within [%v, %v]", failures, got, want/2, want)
			}
		}
	}
}

// What an outage longer than the export timeout kept from being delivered
// is held, and sent first by the next export once the endpoint answers:
// every request once, in order.
func TestOTLPHoldsWhatWasNotDelivered(t *testing.T) {
	for _, sig := range signals {
		t.Run(sig.name, func(t *testing.T) {
			rcv := otlptest.NewServer()
			defer rcv.Close()
			rcv.SetDefault(otlptest.Respond(http.StatusServiceUnavailable))
			logs := &logRecorder{}
			export, c, shutdown := sig.exporter(t, map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_EXPORTER_OTLP_TIMEOUT": "50"}, WithLogger(slog.New(logs)))
			// After the first refusal, the next attempt is not due before
			// the outage ends: no request is on its way (cancelled by an
			// export's deadline, to land late) when the receiver recovers.
			c.retryBase, c.retryMax = time.Hour, time.Hour
			for i := 1; i <= 5; i++ {
				err := export(context.Background(), i)
				if err == nil || !strings.Contains(err.Error(), "held for the next export") || !strings.Contains(err.Error(), "503") {
					t.Fatalf("export %d during the outage: %v; want an error saying what is held and why", i, err)
				}
			}
			if got := sig.sent(rcv); len(got) != 0 {
				t.Fatalf("accepted %v during the outage", got)
			}
			fast(c)
			c.mu.Lock()
			c.notBefore = time.Time{}
			c.mu.Unlock()
			rcv.SetDefault(otlptest.Accept())
			if err := export(context.Background(), 6); err != nil {
				t.Fatalf("export after the outage: %v", err)
			}
			if got, want := sig.sent(rcv), []int{1, 2, 3, 4, 5, 6}; !slices.Equal(got, want) {
				t.Errorf("accepted %v, want %v", got, want)
			}
			if err := export(context.Background(), 7); err != nil {
				t.Fatalf("the export after: %v", err)
			}
			if got, want := sig.sent(rcv), []int{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(got, want) {
				t.Errorf("accepted %v, want %v: each request once", got, want)
			}
			_ = shutdown(context.Background())
			if got := logs.lines(); len(got) != 0 {
				t.Errorf("logged %q; nothing was lost", got)
			}
		})
	}
}

// The hold is bounded by count and by bytes: past the bound the oldest
// requests are dropped and counted, in one line when it fills and one
// when the endpoint answers again, and the rest arrive in order.
func TestOTLPHoldIsBounded(t *testing.T) {
	size := len(encodeMetricsOrFail(t, counterDelta(1)))
	for _, tc := range []struct {
		name            string
		maxHeld, maxLen int
	}{
		{"count", 3, defaultMaxHeldBytes},
		{"bytes", defaultMaxHeld, 3 * size},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := otlptest.NewServer()
			defer rcv.Close()
			rcv.SetDefault(otlptest.Respond(http.StatusServiceUnavailable))
			logs := &logRecorder{}
			export, c, shutdown := signals[0].exporter(t, map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_EXPORTER_OTLP_TIMEOUT": "50"}, WithLogger(slog.New(logs)))
			// After the first refusal, the next attempt is not due before
			// the outage ends: no request is on its way (cancelled by an
			// export's deadline, to land late) when the receiver recovers.
			c.retryBase, c.retryMax = time.Hour, time.Hour
			c.maxHeld, c.maxHeldBytes = tc.maxHeld, tc.maxLen
			for i := 1; i <= 5; i++ {
				_ = export(context.Background(), i)
			}
			if got := logs.lines(); len(got) != 1 || !strings.Contains(got[0], "full") {
				t.Fatalf("logged %q during the outage, want one line saying the hold is full", got)
			}
			fast(c)
			c.mu.Lock()
			c.notBefore = time.Time{}
			c.mu.Unlock()
			rcv.SetDefault(otlptest.Accept())
			if err := export(context.Background(), 6); err != nil {
				t.Fatalf("export after the outage: %v", err)
			}
			if got, want := signals[0].sent(rcv), []int{4, 5, 6}; !slices.Equal(got, want) {
				t.Errorf("accepted %v, want %v: the three newest", got, want)
			}
			got := logs.lines()
			if len(got) != 2 || !strings.Contains(got[1], "answers again") || !strings.Contains(got[1], "3 requests (3 data points) were dropped") {
				t.Errorf("logged %q, want a second line counting the 3 requests dropped", got)
			}
			_ = shutdown(context.Background())
			got = logs.lines()
			if len(got) != 3 || strings.Contains(got[2], "lost") ||
				!strings.Contains(got[2], "during the run 3 requests (3 data points) dropped with the hold full") {
				t.Errorf("logged %q, want a line at shutdown with the run's account", got)
			}
		})
	}
}

// A request larger than the bound of bytes is still sent: the hold keeps
// the newest request whatever its size.
func TestOTLPHoldKeepsTheNewestWhateverItsSize(t *testing.T) {
	rcv := otlptest.NewServer()
	defer rcv.Close()
	rcv.Script(otlptest.Respond(http.StatusServiceUnavailable))
	export, c, shutdown := signals[0].exporter(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL},
		WithLogger(slog.New(slog.DiscardHandler)))
	defer shutdown(context.Background())
	fast(c)
	c.maxHeldBytes = 1
	if err := export(context.Background(), 1); err != nil {
		t.Fatalf("export: %v", err)
	}
	if got := signals[0].sent(rcv); !slices.Equal(got, []int{1}) {
		t.Errorf("accepted %v, want [1]", got)
	}
}

func encodeMetricsOrFail(t *testing.T, rm *metricdata.ResourceMetrics) []byte {
	b, err := encodeMetrics(rm)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A partial success is logged once per exporter, not at every export.
func TestOTLPLogsAPartialSuccessOnce(t *testing.T) {
	for _, sig := range signals {
		t.Run(sig.name, func(t *testing.T) {
			rcv := otlptest.NewServer()
			defer rcv.Close()
			rcv.Script(otlptest.PartialSuccess(2, "attribute too long"), otlptest.PartialSuccess(1, "again"))
			logs := &logRecorder{}
			export, _, shutdown := sig.exporter(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}, WithLogger(slog.New(logs)))
			for i := 1; i <= 3; i++ {
				if err := export(context.Background(), i); err != nil {
					t.Fatalf("export %d: %v", i, err)
				}
			}
			_ = shutdown(context.Background())
			got := logs.lines()
			kind := map[string]string{"metrics": "data points", "spans": "spans"}[sig.name]
			if len(got) != 1 || !strings.Contains(got[0], "rejected 2 "+kind) ||
				!strings.Contains(got[0], "attribute too long") {
				t.Errorf("logged %q, want one line with the 2 rejected and the message", got)
			}
			if got := sig.sent(rcv); !slices.Equal(got, []int{1, 2, 3}) {
				t.Errorf("accepted %v, want [1 2 3]: a partial success is not sent again", got)
			}
		})
	}

	// Without a logger, the line goes to otel.Handle.
	t.Run("otel.Handle", func(t *testing.T) {
		var (
			mu   sync.Mutex
			errs []error
		)
		prev := otel.GetErrorHandler()
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		}))
		defer otel.SetErrorHandler(prev)
		rcv := otlptest.NewServer()
		defer rcv.Close()
		rcv.Script(otlptest.PartialSuccess(2, "bad"), otlptest.PartialSuccess(2, "bad"))
		export, _, shutdown := signals[0].exporter(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL})
		_ = export(context.Background(), 1)
		_ = export(context.Background(), 2)
		_ = shutdown(context.Background())
		mu.Lock()
		defer mu.Unlock()
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "rejected 2 data points") {
			t.Errorf("otel.Handle got %v, want one error with the 2 rejected", errs)
		}
	})
}

// At Shutdown what is held gets one last attempt; what is still held is
// lost, and counted in one log line.
func TestOTLPShutdownCountsWhatIsLost(t *testing.T) {
	for _, sig := range signals {
		t.Run(sig.name+"/endpoint down", func(t *testing.T) {
			rcv := otlptest.NewServer()
			defer rcv.Close()
			rcv.SetDefault(otlptest.Respond(http.StatusServiceUnavailable))
			logs := &logRecorder{}
			export, c, shutdown := sig.exporter(t, map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_EXPORTER_OTLP_TIMEOUT": "50"}, WithLogger(slog.New(logs)))
			fast(c)
			c.retryBase, c.retryMax = time.Hour, time.Hour // one attempt per export
			_ = export(context.Background(), 1)
			_ = export(context.Background(), 2)
			before := len(rcv.Requests())
			if before != 1 {
				t.Fatalf("%d attempts before Shutdown, want 1: the backoff outlasts the exports", before)
			}
			if err := shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if n := len(rcv.Requests()); n != before+1 {
				t.Errorf("%d attempts at Shutdown, want one last attempt", n-before)
			}
			kind := map[string]string{"metrics": "data points", "spans": "spans"}[sig.name]
			got := logs.lines()
			if len(got) != 1 || !strings.Contains(got[0], "at shutdown 2 requests (2 "+kind+") not delivered, now lost") || !strings.Contains(got[0], "503") {
				t.Errorf("logged %q, want one line counting the 2 requests lost, with the last error", got)
			}
			_ = shutdown(context.Background())
			if err := export(context.Background(), 3); !errors.Is(err, errOTLPClosed) {
				t.Errorf("export after Shutdown: %v, want errOTLPClosed", err)
			}
			if n := len(logs.lines()); n != 1 {
				t.Errorf("%d lines logged after a second Shutdown and an export, want still 1", n)
			}
		})

		t.Run(sig.name+"/endpoint back", func(t *testing.T) {
			rcv := otlptest.NewServer()
			defer rcv.Close()
			rcv.SetDefault(otlptest.Respond(http.StatusServiceUnavailable))
			logs := &logRecorder{}
			export, c, shutdown := sig.exporter(t, map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_EXPORTER_OTLP_TIMEOUT": "50"}, WithLogger(slog.New(logs)))
			fast(c)
			c.retryBase, c.retryMax = time.Hour, time.Hour
			_ = export(context.Background(), 1)
			_ = export(context.Background(), 2)
			rcv.SetDefault(otlptest.Accept())
			_ = shutdown(context.Background())
			if got := sig.sent(rcv); !slices.Equal(got, []int{1, 2}) {
				t.Errorf("accepted %v, want [1 2] from the last attempt", got)
			}
			if got := logs.lines(); len(got) != 0 {
				t.Errorf("logged %q; nothing was lost", got)
			}
		})
	}

	t.Run("context already ended", func(t *testing.T) {
		rcv := otlptest.NewServer()
		defer rcv.Close()
		rcv.SetDefault(otlptest.Respond(http.StatusServiceUnavailable))
		logs := &logRecorder{}
		export, c, shutdown := signals[0].exporter(t, map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_EXPORTER_OTLP_TIMEOUT": "50"}, WithLogger(slog.New(logs)))
		fast(c)
		_ = export(context.Background(), 1)
		before := len(rcv.Requests())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = shutdown(ctx)
		if n := len(rcv.Requests()); n != before {
			t.Errorf("%d attempts after the context ended", n-before)
		}
		if got := logs.lines(); len(got) != 1 || !strings.Contains(got[0], "1 request (1 data point) not delivered") {
			t.Errorf("logged %q, want one line counting the request lost", got)
		}
	})
}

// An export that retries gives up when its context ends, and what it
// held goes with the next export.
func TestOTLPExportHonoursItsContext(t *testing.T) {
	rcv := otlptest.NewServer()
	defer rcv.Close()
	rcv.SetDefault(otlptest.Respond(http.StatusServiceUnavailable))
	export, c, shutdown := signals[0].exporter(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL})
	defer shutdown(context.Background())
	fast(c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = rcv.Wait(ctx, func(s *otlptest.Server) bool { return len(s.Requests()) >= 3 })
		cancel()
	}()
	if err := export(ctx, 1); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "held") {
		t.Fatalf("export: %v, want context.Canceled with the request held", err)
	}
	rcv.SetDefault(otlptest.Accept())
	if err := export(context.Background(), 2); err != nil {
		t.Fatalf("the next export: %v", err)
	}
	if got := signals[0].sent(rcv); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("accepted %v, want [1 2]", got)
	}
}

// The export timeout variables are range-checked: a value that is not a
// positive number of milliseconds a duration can hold is refused by the
// constructor, naming the variable and the value.
func TestOTLPTimeoutVariablesAreChecked(t *testing.T) {
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"} {
		for _, value := range []string{"9223372036855", "-1", "0", "10s"} {
			t.Run(name+"="+value, func(t *testing.T) {
				vars := map[string]string{name: value}
				_, serr := NewSpanExporter(context.Background(), OTLP, env(vars), io.Discard)
				_, merr := NewMetricExporter(context.Background(), OTLP, env(vars), io.Discard)
				want := fmt.Sprintf("%s=%q", name, value)
				for sig, err := range map[string]error{"TRACES": serr, "METRICS": merr} {
					if applies := !strings.Contains(name, "_TRACES_") && !strings.Contains(name, "_METRICS_") || strings.Contains(name, "_"+sig+"_"); !applies {
						if err != nil {
							t.Errorf("%s exporter: %v, though %s is not its variable", sig, err, name)
						}
						continue
					}
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("%s exporter: error %v, want one naming %s", sig, err, want)
					}
				}
			})
		}
	}
}
