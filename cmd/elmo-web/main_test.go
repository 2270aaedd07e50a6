package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/app/store"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
	"github.com/elmohq/telemetry/internal/testkit/otlptest"
)

// binary is the path of the elmo-web program built for the tests.
var binary string

func TestMain(m *testing.M) {
	deploytest.Main(m, func(bins map[string]string) { binary = bins["elmo-web"] },
		"github.com/elmohq/telemetry/cmd/elmo-web")
}

const (
	canaryBrand1 = "CanaryBrandOne-61f0"
	canaryBrand2 = "CanaryBrandTwo-0e7d"
	canaryPrompt = "canary-prompt-a3c9"
	canaryKey    = "sk-canary-key-52be19"
)

// webEnv is the environment of elmo-web under test, sending telemetry to
// host.
func webEnv(t *testing.T, host string) map[string]string {
	env := deploytest.BaseEnv(t.TempDir())
	for k, v := range map[string]string{
		"DEPLOYMENT_ID":               "0b6d3f7e-2c1a-4e8b-9f5d-6a4c2e1b0d93",
		"ELMO_POSTHOG_HOST":           host,
		"ELMO_POSTHOG_KEY":            "phc_test",
		"OPENAI_API_KEY":              canaryKey,
		"WEB_ADDR":                    "127.0.0.1:0",
		"OTEL_METRIC_EXPORT_INTERVAL": "300",
		"OTEL_BSP_SCHEDULE_DELAY":     "100",
	} {
		env[k] = v
	}
	return env
}

// startWeb starts elmo-web and returns it with its base URL.
func startWeb(t *testing.T, env map[string]string) (*deploytest.Process, string) {
	t.Helper()
	p, err := deploytest.Start(binary, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := deploytest.Context()
		defer cancel()
		_ = p.Stop(ctx)
	})
	ctx, cancel := deploytest.Context()
	defer cancel()
	line, err := p.Output.WaitFor(ctx, "elmo-web listening on http://")
	if err != nil {
		t.Fatalf("%v\noutput:\n%s", err, p.Output)
	}
	return p, strings.TrimSpace(line[strings.Index(line, "http://"):])
}

// client talks to a running elmo-web.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newClient(t *testing.T, base string) *client {
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	return &client{t: t, base: base, hc: hc}
}

// do sends a JSON request and decodes the answer into out, failing the
// test unless the status is want.
func (c *client) do(method, path string, in, out any, want int) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// get fetches a page and returns its body.
func (c *client) get(path string, want int) string {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("GET %s: status %d, want %d: %s", path, resp.StatusCode, want, data)
	}
	return string(data)
}

// exercise creates two brands, adds a prompt, edits it and runs a report
// through the API, and visits the pages.
func exercise(c *client) {
	var b1, b2 store.Brand
	c.do("POST", "/api/brands", map[string]string{"name": canaryBrand1}, &b1, http.StatusCreated)
	c.do("POST", "/api/brands", map[string]string{"name": canaryBrand2}, &b2, http.StatusCreated)
	var p store.Prompt
	c.do("POST", "/api/prompts", map[string]any{
		"brand_id": b1.ID, "text": canaryPrompt,
		"targets": []map[string]string{{"provider": "openai", "model": "gpt-4o-mini"}},
	}, &p, http.StatusCreated)
	c.do("PUT", fmt.Sprintf("/api/prompts/%d", p.ID), map[string]any{
		"text":    canaryPrompt + " (edited)",
		"targets": []map[string]string{{"provider": "openai", "model": "gpt-4o"}},
	}, &p, http.StatusOK)
	if p.Text != canaryPrompt+" (edited)" || p.Targets[0].Model != "gpt-4o" {
		c.t.Errorf("edited prompt = %+v", p)
	}
	var rep store.Report
	c.do("POST", "/api/reports", map[string]int64{"brand_id": b1.ID}, &rep, http.StatusOK)
	if rep.Brand.Name != canaryBrand1 || len(rep.Prompts) != 1 {
		c.t.Errorf("report = %+v", rep)
	}
	var brands []store.Brand
	c.do("GET", "/api/brands", nil, &brands, http.StatusOK)
	if !slices.ContainsFunc(brands, func(b store.Brand) bool { return b.ID == b2.ID && b.Name == canaryBrand2 }) {
		c.t.Errorf("GET /api/brands = %+v, want it to hold brand %d", brands, b2.ID)
	}
	if home := c.get("/", http.StatusOK); !strings.Contains(home, canaryBrand2) {
		c.t.Errorf("the home page does not list the brands:\n%s", home)
	}
	if page := c.get(fmt.Sprintf("/brands/%d", b1.ID), http.StatusOK); !strings.Contains(page, canaryPrompt) {
		c.t.Errorf("the brand page does not list the prompt:\n%s", page)
	}
	c.get("/healthz", http.StatusOK)
}

// webEvents are the events elmo-web may send.
var webEvents = []string{"brands_created", "prompts_edited", "reports_run", "prompts_tracked", "brands", "deployment_heartbeat"}

// TestFeatureCounters is the acceptance test of the web app's events:
// two brands created and one prompt edited through the API yield
// brands_created 2 and prompts_edited 1, summed over export intervals.
func TestFeatureCounters(t *testing.T) {
	capture := posthogtest.NewServer()
	defer capture.Close()
	env := webEnv(t, capture.URL)
	p, base := startWeb(t, env)
	exercise(newClient(t, base))

	ctx, cancel := deploytest.Context()
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("elmo-web did not stop cleanly: %v\noutput:\n%s", err, p.Output)
	}
	events := capture.Events()
	for name, want := range map[string]float64{"brands_created": 2, "prompts_edited": 1, "reports_run": 1} {
		if got := deploytest.Sum(events, name, nil); got != want {
			t.Errorf("%s summed over %d events = %v, want %v", name, len(posthogtest.Named(events, name)), got, want)
		}
	}
	// The gauges' last values are the counts held.
	for name, want := range map[string]float64{"brands": 2, "prompts_tracked": 1} {
		gs := posthogtest.Named(events, name)
		if len(gs) == 0 {
			t.Errorf("no %s gauge event", name)
			continue
		}
		if got := gs[len(gs)-1].Properties["value"]; got != want {
			t.Errorf("last %s = %v, want %v", name, got, want)
		}
	}
	hb := posthogtest.Named(events, "deployment_heartbeat")
	if len(hb) != 1 {
		t.Fatalf("%d deployment_heartbeat events, want 1 (at start)", len(hb))
	}
	if got := hb[0].Properties["postgres_mode"]; got != "embedded" {
		t.Errorf("postgres_mode = %v, want embedded", got)
	}
	if got := fmt.Sprint(hb[0].Properties["providers"]); got != "[openai]" {
		t.Errorf("providers = %v, want [openai]", got)
	}
	for _, e := range events {
		if !slices.Contains(webEvents, e.Event) {
			t.Errorf("elmo-web sent %q, which is not one of its catalog events", e.Event)
		}
	}
	for _, leak := range deploytest.Leaks(capture.Requests(), canaryBrand1, canaryBrand2, canaryPrompt, canaryKey, env["ELMO_DIR"]) {
		t.Error(leak)
	}
}

// TestNoSpanPerRequest shows that the web app records no span for a
// request: the catalog has no event for one, so recording it would cost
// every request and be dropped. In process, a recording tracer provider
// installed globally sees no span from the app's handler; the program,
// with telemetry on, sends none either.
func TestNoSpanPerRequest(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(prev)
	st, err := store.Open(context.Background(), store.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inst, err := newInstruments(st)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.close()
	a := &app{store: st, inst: inst}
	h := a.routes()
	for _, path := range []string{"/healthz", "/api/brands", "/"} {
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest("GET", path, nil))
		if rr.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rr.Code)
		}
	}
	// Positive control: the provider records what is started with it.
	_, span := otel.Tracer("control").Start(context.Background(), "control")
	span.End()
	var recorded []string
	for _, s := range rec.Ended() {
		recorded = append(recorded, s.Name())
	}
	if !slices.Equal(recorded, []string{"control"}) {
		t.Fatalf("spans recorded: %v; want only the control span", recorded)
	}
	httpSpans := []string{"GET", "elmo-web"}

	// The program: the same requests, and none of those spans arrive.
	capture := posthogtest.NewServer()
	defer capture.Close()
	p, base := startWeb(t, webEnv(t, capture.URL))
	c := newClient(t, base)
	for _, path := range []string{"/healthz", "/api/brands", "/"} {
		c.get(path, http.StatusOK)
	}
	ctx, cancel := deploytest.Context()
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("elmo-web did not stop cleanly: %v", err)
	}
	events := capture.Events()
	if len(posthogtest.Named(events, "deployment_heartbeat")) != 1 {
		t.Fatalf("the heartbeat did not arrive, so the absence of HTTP spans proves nothing: %v", names(events))
	}
	for _, e := range events {
		if slices.Contains(httpSpans, e.Event) || strings.HasPrefix(e.Event, "http.") || !slices.Contains(webEvents, e.Event) {
			t.Errorf("event %q reached the capture server; HTTP spans and metrics must stay inside", e.Event)
		}
	}
}

// TestCaptureServerDown shows that with the capture server down for the
// whole run, every request is answered and the program stops cleanly.
func TestCaptureServerDown(t *testing.T) {
	down, err := deploytest.ClosedURL()
	if err != nil {
		t.Fatal(err)
	}
	p, base := startWeb(t, webEnv(t, down))
	c := newClient(t, base)
	for range 20 {
		exercise(c)
	}
	ctx, cancel := deploytest.Context()
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("elmo-web did not stop cleanly: %v\noutput:\n%s", err, p.Output)
	}
}

// TestAPIErrors checks the answers to malformed and unknown requests.
func TestAPIErrors(t *testing.T) {
	_, base := startWeb(t, webEnv(t, "http://127.0.0.1:1"))
	c := newClient(t, base)
	var b store.Brand
	c.do("POST", "/api/brands", map[string]string{"name": "Acme"}, &b, http.StatusCreated)
	tests := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"blank brand", "POST", "/api/brands", map[string]string{"name": " "}, 400},
		{"unknown field", "POST", "/api/brands", map[string]string{"nom": "x"}, 400},
		{"unknown provider", "POST", "/api/prompts", map[string]any{"brand_id": b.ID, "text": "q",
			"targets": []map[string]string{{"provider": "acme-ai", "model": "m"}}}, 400},
		{"no targets", "POST", "/api/prompts", map[string]any{"brand_id": b.ID, "text": "q"}, 400},
		{"missing brand", "POST", "/api/prompts", map[string]any{"brand_id": 99, "text": "q",
			"targets": []map[string]string{{"provider": "openai", "model": "m"}}}, 404},
		{"missing prompt", "PUT", "/api/prompts/99", map[string]any{"text": "q",
			"targets": []map[string]string{{"provider": "openai", "model": "m"}}}, 404},
		{"bad id", "GET", "/api/prompts/x", nil, 400},
		{"report for missing brand", "POST", "/api/reports", map[string]int{"brand_id": 99}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, base)
			var e map[string]string
			c.do(tt.method, tt.path, tt.body, &e, tt.want)
			if e["error"] == "" {
				t.Errorf("no error message in the answer")
			}
		})
	}

	// A cross-origin form post from another site is refused.
	req, _ := http.NewRequest("POST", base+"/brands", strings.NewReader(url.Values{"name": {"x"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin form post: status %d, want 403", resp.StatusCode)
	}
}

func names(events []posthogtest.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Event)
	}
	return out
}

// TestOTLPOutageLosesNoCount is the route a fleet uses to send to a
// gateway: elmo-web exporting over OTLP through an outage of the
// receiver (503 for 6 s or more, longer than an export may take) loses no
// count. Every brands_created of the outage arrives once the receiver
// answers again, before elmo-web stops, and once only; the heartbeat
// refused at start arrives too, at the latest when elmo-web stops.
func TestOTLPOutageLosesNoCount(t *testing.T) {
	const outage = 6 * time.Second
	rcv := otlptest.NewServer()
	defer rcv.Close()
	rcv.SetDefault(otlptest.Respond(http.StatusServiceUnavailable))
	env := webEnv(t, "http://127.0.0.1:1")
	for k, v := range map[string]string{
		"OTEL_TRACES_EXPORTER":        "otlp",
		"OTEL_METRICS_EXPORTER":       "otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL,
		"OTEL_METRIC_EXPORT_INTERVAL": "500",
		// Shorter than the outage: exports give up while it lasts.
		"OTEL_EXPORTER_OTLP_TIMEOUT": "1000",
	} {
		env[k] = v
	}
	outageOver := time.After(outage)
	p, base := startWeb(t, env)
	c := newClient(t, base)

	// refusedMetrics is the number of metric exports the receiver has
	// refused so far.
	refusedMetrics := func(s *otlptest.Server) int {
		n := 0
		for _, r := range s.Requests() {
			if r.Path == "/v1/metrics" && r.Status == http.StatusServiceUnavailable {
				n++
			}
		}
		return n
	}
	ctx, cancel := deploytest.Context()
	defer cancel()
	// Brands are created through the outage: after each, the receiver
	// refuses another export before the next is created.
	const brands = 3
	for i := range brands {
		var b store.Brand
		c.do("POST", "/api/brands", map[string]string{"name": fmt.Sprintf("Outage brand %d", i)}, &b, http.StatusCreated)
		seen := refusedMetrics(rcv)
		if err := rcv.Wait(ctx, func(s *otlptest.Server) bool { return refusedMetrics(s) > seen }); err != nil {
			t.Fatalf("the receiver refused no export after brand %d: %v\noutput:\n%s", i, err, p.Output)
		}
	}
	select {
	case <-outageOver:
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if got := rcv.Sum("brands_created"); got != 0 {
		t.Fatalf("control: brands_created %v arrived during the outage", got)
	}
	rcv.SetDefault(otlptest.Accept())

	// What the outage held is sent as soon as the receiver answers, not
	// only when elmo-web stops.
	if err := rcv.Wait(ctx, func(s *otlptest.Server) bool { return s.Sum("brands_created") >= brands }); err != nil {
		t.Fatalf("brands_created summed to %v after the outage, want %d: counts of the outage were lost\noutput:\n%s",
			rcv.Sum("brands_created"), brands, p.Output)
	}
	stop, cancelStop := deploytest.Context()
	defer cancelStop()
	if err := p.Stop(stop); err != nil {
		t.Fatalf("elmo-web did not stop cleanly: %v\noutput:\n%s", err, p.Output)
	}
	// A request whose answer an export's deadline cut off is sent again
	// (the receiver may count it twice; PostHog, behind a gateway, keeps
	// one event per point): each count once, by its point.
	if got := rcv.SumOnce("brands_created"); got != brands {
		t.Errorf("brands_created summed to %v, want %d: each count once", got, brands)
	}
	var beats int
	for _, name := range rcv.SpanNames() {
		if name == "deployment_heartbeat" {
			beats++
		}
	}
	if beats != 1 {
		t.Errorf("%d deployment_heartbeat spans arrived, want the 1 refused at start", beats)
	}
	if body := rcv.Body(); bytes.Contains(body, []byte("Outage brand")) || bytes.Contains(body, []byte(env["ELMO_DIR"])) {
		t.Error("a brand name or the deployment directory reached the receiver")
	}
}
