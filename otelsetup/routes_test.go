package otelsetup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/otlptest"
	"github.com/elmohq/telemetry/otelsetup"
	"github.com/elmohq/telemetry/processors"
)

// token is in every generated name (of a span, an instrument, a key) and
// valueToken in every generated value that the catalog does not allow, so
// that a leak of any of them is found by a search of the output. The debug
// output's notes may name what the gate dropped, never a dropped value.
const (
	token      = "zqcanary"
	valueToken = "zqsecret"
)

// routeCases is how many random workloads each route runs.
const routeCases = 25

// TestEveryRouteSendsOnlyTheCatalog drives random workloads (resources
// from OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, deployment modes,
// span names, attribute keys and values, counters and gauges) through
// every route an event can leave by: PostHog, OTLP, the console, the
// debug output, and a spool replayed by a later run. Nothing outside the
// catalog may arrive: no generated canary appears in any output, and
// what a structured route delivers passes the catalog's own check.
func TestEveryRouteSendsOnlyTheCatalog(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	policy := processors.DefaultPolicy()

	for _, route := range []string{"posthog", "otlp", "console", "debug"} {
		t.Run(route, func(t *testing.T) {
			delivered := 0
			for i := range routeCases {
				w := randomWorkload(rng)
				delivered += runRoute(t, fmt.Sprintf("%s/%d", route, i), route, w, policy)
			}
			if delivered == 0 {
				t.Errorf("no event arrived on the %s route in %d workloads: the check saw nothing", route, routeCases)
			}
		})
	}
	t.Run("spool", func(t *testing.T) {
		delivered := 0
		for i := range routeCases {
			delivered += runSpoolReplay(t, i, rng, policy)
		}
		if delivered == 0 {
			t.Error("no spooled event was replayed: the check saw nothing")
		}
	})
}

// workload is what one program records.
type workload struct {
	deployment  bool
	resAttrs    string // OTEL_RESOURCE_ATTRIBUTES
	serviceName string // OTEL_SERVICE_NAME
	mode        string // DEPLOYMENT_MODE
	spans       []record
	counters    []record
	gauges      []record
}

type record struct {
	name  string
	attrs []attribute.KeyValue
}

func randomWorkload(rng *rand.Rand) workload {
	w := workload{deployment: rng.IntN(2) == 0}
	var res []string
	for range rng.IntN(4) {
		res = append(res, pick(rng, resourceKeys())+"="+canaryString(rng))
	}
	res = append(res, "host.name="+valueToken+"-laptop", "user.email=jane."+valueToken+"@example.com")
	rng.Shuffle(len(res), func(i, j int) { res[i], res[j] = res[j], res[i] })
	w.resAttrs = strings.Join(res, ",")
	w.serviceName = valueToken + "-service"
	w.mode = pick(rng, append(catalog.DeploymentModes(), valueToken+"corp-brand", "acme-"+valueToken))
	for range 1 + rng.IntN(5) {
		w.spans = append(w.spans, record{name: spanName(rng), attrs: randomAttrs(rng)})
	}
	for range rng.IntN(4) {
		w.counters = append(w.counters, record{name: instrumentName(rng, catalog.KindCounter), attrs: randomAttrs(rng)})
	}
	for range rng.IntN(3) {
		w.gauges = append(w.gauges, record{name: instrumentName(rng, catalog.KindGauge), attrs: randomAttrs(rng)})
	}
	return w
}

func resourceKeys() []string {
	keys := []string{"host.name", "os.description", "process.command_args", "user.name", token + ".key"}
	for _, p := range catalog.Resource() {
		keys = append(keys, string(p.Key))
	}
	return keys
}

func spanName(rng *rand.Rand) string {
	var names []string
	for _, e := range catalog.Events() {
		switch {
		case e.Prefix:
			names = append(names, e.Name+"version", e.Name+"telemetry_status")
		case e.Kind == catalog.KindSpan:
			names = append(names, e.Name)
		}
	}
	// "cli_" and a lower-case name is a command span by design; an
	// upper-case one is not.
	names = append(names, token, "cli_"+strings.ToUpper(token), "cli_x/"+token, "HTTP GET /"+token, "prompt_runs")
	return pick(rng, names)
}

func instrumentName(rng *rand.Rand, kind catalog.Kind) string {
	var names []string
	for _, e := range catalog.Events() {
		if e.Kind == kind {
			names = append(names, e.Name)
		}
	}
	return pick(rng, append(names, token+"_total", "cli_version"))
}

// allKeys returns every property key of the catalog.
func allKeys() []string {
	var keys []string
	for _, e := range catalog.Events() {
		for _, p := range e.Properties {
			if !slices.Contains(keys, string(p.Key)) {
				keys = append(keys, string(p.Key))
			}
		}
	}
	return keys
}

// allValues returns every enumerated value of the catalog and public
// model names, which may well be sent.
func allValues() []string {
	vals := []string{"gpt-4o-mini", "claude-3.5-sonnet", "llama3.1:8b-instruct-q4_K_M", "anthropic/claude-3.5-sonnet"}
	for _, e := range catalog.Events() {
		for _, p := range e.Properties {
			vals = append(vals, p.Values...)
		}
	}
	return vals
}

func randomAttrs(rng *rand.Rand) []attribute.KeyValue {
	var kvs []attribute.KeyValue
	for range rng.IntN(6) {
		key := pick(rng, append(allKeys(), token+"_key", "email", "path", "exception.message"))
		switch rng.IntN(6) {
		case 0:
			kvs = append(kvs, attribute.Int(key, rng.IntN(10)))
		case 1:
			kvs = append(kvs, attribute.Bool(key, rng.IntN(2) == 0))
		case 2:
			kvs = append(kvs, attribute.StringSlice(key, []string{pick(rng, allValues()), canaryString(rng)}))
		case 3:
			kvs = append(kvs, attribute.String(key, pick(rng, allValues())))
		default:
			kvs = append(kvs, attribute.String(key, canaryString(rng)))
		}
	}
	return kvs
}

// canaryString returns a string that holds the token in one of the
// shapes a secret, a person or a host takes.
func canaryString(rng *rand.Rand) string {
	shapes := []string{
		"%s", "/home/%s/.elmo/.env", "%s@example.com", "https://%s.example.com/v1", "sk-%s-Q2mZ9vB4nL1pK8sD3fG6",
		"gpt-4o-%s", "ft:gpt-4o-mini:%s::x", "%s-laptop:11434", "llama3-%s", "openai/%s", "%s corp brand",
		"claude-3.5-sonnet-%s", "Local %s", "C:\\Users\\%s\\x",
	}
	return fmt.Sprintf(pick(rng, shapes), valueToken)
}

func pick(rng *rand.Rand, from []string) string { return from[rng.IntN(len(from))] }

// runRoute runs w through route and checks what arrived. It returns how
// many events arrived.
func runRoute(t *testing.T, name, route string, w workload, policy *processors.Policy) int {
	t.Helper()
	e := newEnv(t).consentGiven()
	otlp := otlptest.NewServer()
	defer otlp.Close()
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", w.resAttrs)
	t.Setenv("OTEL_SERVICE_NAME", w.serviceName)
	switch route {
	case "otlp":
		t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
		t.Setenv("OTEL_METRICS_EXPORTER", "otlp")
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.URL)
	case "console":
		t.Setenv("OTEL_TRACES_EXPORTER", "console")
		t.Setenv("OTEL_METRICS_EXPORTER", "console")
	case "debug":
		e.vars["ELMO_TELEMETRY_DEBUG"] = "1"
	}
	e.vars["DEPLOYMENT_MODE"] = w.mode
	var stdout, stderr syncBuffer
	opts := []otelsetup.Option{otelsetup.WithStdout(&stdout), otelsetup.WithStderr(&stderr)}
	if w.deployment {
		e.vars["DEPLOYMENT_ID"] = "9b2f4c1e-8d3a-4f6b-a7c5-1e2d3c4b5a69"
		opts = append(opts, otelsetup.WithRole(otelsetup.RoleDeployment), otelsetup.WithServiceName(catalog.ServiceWorker))
	}
	tel := e.start(opts...)
	ctx := context.Background()
	tracer := otel.Tracer("elmo/" + token)
	for _, s := range w.spans {
		_, span := tracer.Start(ctx, s.name, trace.WithAttributes(s.attrs...))
		span.AddEvent(token+" log line", trace.WithAttributes(attribute.String("line", valueToken)))
		span.End()
	}
	meter := otel.Meter("elmo/" + token)
	for _, c := range w.counters {
		ctr, err := meter.Int64Counter(c.name)
		if err != nil {
			t.Fatal(err)
		}
		ctr.Add(ctx, 1, metric.WithAttributes(c.attrs...))
	}
	for _, g := range w.gauges {
		gauge, err := meter.Int64Gauge(g.name)
		if err != nil {
			t.Fatal(err)
		}
		gauge.Record(ctx, 3, metric.WithAttributes(g.attrs...))
	}
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("%s: %v", name, err)
	}

	var out []byte
	arrived := 0
	switch route {
	case "posthog":
		for _, ev := range e.server.Events() {
			out = append(out, ev.Raw...)
			checkWireEvent(t, name, policy, ev)
			arrived++
		}
	case "otlp":
		out = otlp.Body()
		arrived = checkOTLP(t, name, policy, otlp)
		if n := len(e.server.Events()); n != 0 {
			t.Errorf("%s: PostHog got %d events on the OTLP route", name, n)
		}
	case "console":
		out = stdout.Bytes()
		arrived = bytes.Count(out, []byte(`"Name"`))
		if n := len(e.server.Events()); n != 0 {
			t.Errorf("%s: PostHog got %d events on the console route", name, n)
		}
	case "debug":
		out = stderr.Bytes()
		arrived = bytes.Count(out, []byte(`"event"`))
		if n := len(e.server.Events()); n != 0 {
			t.Errorf("%s: PostHog got %d events on the debug route", name, n)
		}
	}
	for _, line := range bytes.Split(out, []byte("\n")) {
		banned := []string{token, valueToken}
		if route == "debug" && bytes.HasPrefix(line, []byte("# ")) {
			banned = []string{valueToken} // a note names what was dropped
		}
		for _, b := range banned {
			if i := bytes.Index(bytes.ToLower(line), []byte(b)); i >= 0 {
				t.Errorf("%s: a canary left the process on the %s route: …%s…", name, route, line[max(0, i-200):min(len(line), i+100)])
			}
		}
	}
	return arrived
}

// checkWireEvent checks one event that arrived at the capture server
// against the catalog: its name, its properties and their values, and
// the distinct ID.
func checkWireEvent(t *testing.T, name string, policy *processors.Policy, ev posthogtest.Event) {
	t.Helper()
	props := make(map[string]any, len(ev.Properties))
	for k, v := range ev.Properties {
		if !slices.Contains(catalog.TransportProperties(), k) {
			props[k] = v
		}
	}
	if err := policy.CheckEvent(ev.Event, props); err != nil {
		t.Errorf("%s: an event outside the catalog arrived: %v", name, err)
	}
	if !catalog.IsRandomUUID(ev.DistinctID) {
		t.Errorf("%s: %s: distinct_id is not a random UUID", name, ev.Event)
	}
}

// runSpoolReplay plants a spool of valid and invalid lines and lets a
// command and its background sender deliver it to the capture server.
func runSpoolReplay(t *testing.T, i int, rng *rand.Rand, policy *processors.Policy) int {
	t.Helper()
	e := newEnv(t).consentGiven()
	installID := "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10"
	e.writeConfig(`{"telemetryNoticeVersion": 1, "telemetryId": "` + installID + `"}`)
	var lines []string
	valid := 0
	for j := range 3 + rng.IntN(6) {
		props := map[string]any{"exit_code": 0, "version": "1.2.3", "os": "linux", "duration_ms": 3, "success": true}
		ev := map[string]any{
			"v": 1, "uuid": fmt.Sprintf("3e0ac4c8-6a41-5c7e-9d2b-%012d", i*100+j), "event": "cli_version",
			"distinct_id": installID, "timestamp": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano),
			"properties": props,
		}
		switch rng.IntN(9) {
		case 0:
			ev["event"] = token + "_event"
		case 1:
			props[token+"_key"] = "x"
		case 2:
			props["version"] = "1.2.3-" + token
		case 3:
			delete(ev, "v")
		case 4:
			ev["v"] = 0
		case 5:
			ev["distinct_id"] = "jane." + token + "@example.com"
		case 6:
			ev["event"] = "newsletter_signup"
			props["$set"] = map[string]any{"email": token + "@example.com"}
		case 7:
			props["deployment_mode"] = token + "corp"
		default:
			valid++
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	lines = append(lines, `{"v":1,"event":"cli_`+token, "not json "+token)
	spool := e.spoolPath
	if err := os.MkdirAll(filepath.Dir(spool), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spool, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tel := e.start()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.send()
	events := e.server.Events()
	for _, ev := range events {
		if bytes.Contains(bytes.ToLower(ev.Raw), []byte(token)) {
			t.Errorf("spool %d: a planted line was sent: %s", i, ev.Raw)
		}
		checkWireEvent(t, fmt.Sprintf("spool %d", i), policy, ev)
	}
	if len(events) != valid {
		t.Errorf("spool %d: %d events replayed, want the %d valid ones", i, len(events), valid)
	}
	if b, err := os.ReadFile(spool); err == nil && bytes.Contains(b, []byte(token)) {
		t.Errorf("spool %d: planted lines are still in the spool after the run", i)
	}
	return len(events)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.buf.Bytes())
}

// checkOTLP checks every span and data point srv received against the
// catalog, and returns how many there were.
func checkOTLP(t *testing.T, name string, policy *processors.Policy, srv *otlptest.Server) int {
	t.Helper()
	n := 0
	for _, rs := range srv.ResourceSpans() {
		checkOTLPResource(t, name, policy, rs.Resource)
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				n++
				checkOTLPAttrs(t, name, policy, s.Name, s.Attributes)
				if len(s.Events) > 0 || len(s.Links) > 0 {
					t.Errorf("%s: span %s carries events or links", name, s.Name)
				}
			}
		}
	}
	for _, rm := range srv.ResourceMetrics() {
		checkOTLPResource(t, name, policy, rm.Resource)
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				var points [][]*commonpb.KeyValue
				for _, p := range m.GetSum().GetDataPoints() {
					points = append(points, p.Attributes)
				}
				for _, p := range m.GetGauge().GetDataPoints() {
					points = append(points, p.Attributes)
				}
				for _, attrs := range points {
					n++
					checkOTLPAttrs(t, name, policy, m.Name, attrs)
				}
			}
		}
	}
	return n
}

func checkOTLPResource(t *testing.T, name string, policy *processors.Policy, res *resourcepb.Resource) {
	t.Helper()
	for _, kv := range res.GetAttributes() {
		ok := false
		for _, p := range policy.ResourceAttributes() {
			if string(p.Key) == kv.Key {
				out, allowed := p.Normalize(kv.Value.GetStringValue())
				ok = allowed && out == kv.Value.GetStringValue()
			}
		}
		if !ok {
			t.Errorf("%s: resource attribute %s left the process", name, kv.Key)
		}
	}
}

func checkOTLPAttrs(t *testing.T, name string, policy *processors.Policy, event string, attrs []*commonpb.KeyValue) {
	t.Helper()
	if _, ok := policy.Event(event); !ok {
		t.Errorf("%s: %s is not in the catalog", name, event)
		return
	}
	for _, kv := range attrs {
		a, ok := fromOTLP(kv)
		if !ok {
			t.Errorf("%s: %s: attribute %s has a type the catalog has not", name, event, kv.Key)
			continue
		}
		out, why, allowed := policy.Allow(event, a)
		if !allowed || out != a {
			t.Errorf("%s: %s: attribute %s left the process (%v)", name, event, kv.Key, why)
		}
	}
}

func fromOTLP(kv *commonpb.KeyValue) (attribute.KeyValue, bool) {
	switch v := kv.Value.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return attribute.String(kv.Key, v.StringValue), true
	case *commonpb.AnyValue_BoolValue:
		return attribute.Bool(kv.Key, v.BoolValue), true
	case *commonpb.AnyValue_IntValue:
		return attribute.Int64(kv.Key, v.IntValue), true
	case *commonpb.AnyValue_DoubleValue:
		return attribute.Float64(kv.Key, v.DoubleValue), true
	case *commonpb.AnyValue_ArrayValue:
		var ss []string
		for _, e := range v.ArrayValue.Values {
			s, ok := e.Value.(*commonpb.AnyValue_StringValue)
			if !ok {
				return attribute.KeyValue{}, false
			}
			ss = append(ss, s.StringValue)
		}
		return attribute.StringSlice(kv.Key, ss), true
	}
	return attribute.KeyValue{}, false
}
