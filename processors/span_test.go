package processors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/elmohq/telemetry/catalog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// recorder is the processor behind the filter: it keeps everything it is
// handed.
type recorder struct {
	mu       sync.Mutex
	started  int
	ended    []sdktrace.ReadOnlySpan
	flushes  int
	shutdown int
	err      error
}

func (r *recorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started++
}

func (r *recorder) OnEnd(s sdktrace.ReadOnlySpan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = append(r.ended, s)
}

func (r *recorder) ForceFlush(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushes++
	return r.err
}

func (r *recorder) Shutdown(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shutdown++
	return r.err
}

func (r *recorder) spans() []sdktrace.ReadOnlySpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ended)
}

// dump serialises everything a processor can read from s: every accessor,
// fmt's view of the value itself, and the JSON an exporter would write.
func dump(t *testing.T, s sdktrace.ReadOnlySpan) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%+v\n%#v\n", s, s)
	fmt.Fprintf(&b, "name=%s sc=%+v ts=%s parent=%+v pts=%s kind=%v\n",
		s.Name(), s.SpanContext(), s.SpanContext().TraceState(), s.Parent(), s.Parent().TraceState(), s.SpanKind())
	fmt.Fprintf(&b, "attrs=%+v\nevents=%+v\nlinks=%+v\nstatus=%+v\n", s.Attributes(), s.Events(), s.Links(), s.Status())
	scope := s.InstrumentationScope()
	fmt.Fprintf(&b, "scope=%+v scopeattrs=%v lib=%+v\n", scope, scope.Attributes.ToSlice(), s.InstrumentationLibrary()) //nolint:staticcheck // Every accessor is checked.
	if r := s.Resource(); r != nil {
		fmt.Fprintf(&b, "resource=%v\n", r.Attributes())
	}
	fmt.Fprintf(&b, "dropped=%d/%d/%d children=%d\n", s.DroppedAttributes(), s.DroppedEvents(), s.DroppedLinks(), s.ChildSpanCount())
	attrs := s.Attributes()
	fmt.Fprintf(&b, "beyond len=%+v\n", attrs[len(attrs):cap(attrs)])
	j, err := json.Marshal(tracetest.SpanStubFromReadOnlySpan(s))
	if err != nil {
		t.Fatal(err)
	}
	b.Write(j)
	return b.String()
}

// canaryPolicy is the Elmo catalog plus an event with free string keys, so
// that the scrubber is exercised on keys the policy allows.
func canaryPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := NewPolicy(append(catalog.Events(), catalog.Event{
		Name: "scrub_test", Kind: catalog.KindSpan, Source: catalog.SourceCLI, Description: "Free strings.",
		Properties: []catalog.Property{
			{Key: "note", Type: catalog.TypeString, Rule: catalog.RuleModelName, Description: "A model name."},
			{Key: "notes", Type: catalog.TypeStringSlice, Rule: catalog.RuleModelName, Description: "Model names."},
			{Key: "count", Type: catalog.TypeInt, Description: "A count."},
		},
	}), WithResourceAttributes(catalog.Resource()...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSpanFilterCanaries sends canary values (each holds the word
// "canary") through every route instrumentation can take and checks that
// none reaches the processor behind the filter, while the allowed values
// arrive unchanged.
func TestSpanFilterCanaries(t *testing.T) {
	rec := &recorder{}
	filter, err := NewSpanFilter(rec, WithPolicy(canaryPolicy(t)))
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewWithAttributes("",
		attribute.String("service.name", "elmo-cli"),
		attribute.String("service.version", "1.2.3"),
		attribute.String("host.name", "canary-laptop"),
		attribute.String("os.description", "canary's Mac"),
		attribute.String("elmo.deployment.mode", "/home/canary/mode"),
	)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(filter), sdktrace.WithResource(res))
	tracer := tp.Tracer("elmo/test", trace.WithInstrumentationAttributes(attribute.String("scope.note", "canary scope")))

	ts, err := trace.ParseTraceState("vendor=canary-state")
	if err != nil {
		t.Fatal(err)
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled,
		TraceState: ts, Remote: true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), parent)
	linked := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{3}, SpanID: trace.SpanID{4}, TraceState: ts})

	// 1. An allowed span through every route at once.
	allowed := []attribute.KeyValue{
		attribute.Int("exit_code", 3),
		attribute.String("postgres_mode", "embedded"),
		attribute.StringSlice("providers", []string{"openai", "ollama"}),
		attribute.Bool("has_direct_api", true),
		attribute.Bool("completed", false),
		attribute.String("failed_step", "database"),
	}
	_, span := tracer.Start(ctx, "cli_init",
		trace.WithAttributes(attribute.String("brand_name", "Canary Brand")),
		trace.WithLinks(trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("why", "canary link")}}))
	span.SetAttributes(allowed...)
	span.SetAttributes(
		attribute.String("prompt", "Compare canary brand to rivals"),
		attribute.String("api_key", "sk-canary-Q2mZ9vB4nL1pK8sD3fG6hJ0wE5rT"),
		attribute.String("exception.message", "canary"),
		attribute.String("has_direct_api", "canary"), // replaced below: the SDK keeps the last value
	)
	span.SetAttributes(attribute.Bool("has_direct_api", true))
	span.RecordError(errors.New("open /home/canary-user/.elmo/.env: permission denied"), trace.WithStackTrace(true))
	span.AddEvent("canary log line", trace.WithAttributes(attribute.String("line", "canary")))
	span.AddLink(trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("why", "canary link 2")}})
	span.SetStatus(codes.Error, "canary description: failed at /home/canary")
	span.End()

	// 2. Allowed keys with canary values of every kind.
	for _, c := range append(slices.Clone(canaries), hostCanaries...) {
		_, span := tracer.Start(ctx, "scrub_test")
		span.SetAttributes(
			attribute.String("note", c),
			attribute.StringSlice("notes", []string{"fine", c}),
			attribute.Int("count", 1),
		)
		span.End()
	}

	// 3. Catalog keys with canary values: enum, slice element, model shape,
	// wrong type, and a key written twice.
	_, span = tracer.Start(ctx, "prompt_processed")
	span.SetAttributes(
		attribute.StringSlice("providers", []string{"openai", "canary-llm"}),
		attribute.StringSlice("models", []string{"gpt-4o-mini", "Canary Brand GPT"}),
		attribute.String("total_runs", "/home/canary"),
		attribute.Int("successful_runs", 1),
	)
	span.SetAttributes(attribute.String("failed_runs", "canary overwritten"))
	span.SetAttributes(attribute.Int("failed_runs", 1))
	span.End()

	// Allowed keys with structured values: never allowed.
	_, span = tracer.Start(ctx, "deployment_heartbeat")
	span.SetAttributes(
		attribute.Map("postgres_mode", attribute.String("path", "/home/canary")),
		attribute.Slice("providers", attribute.StringValue("canary")),
		attribute.ByteSlice("postgres_mode", []byte("canary bytes")),
	)
	span.End()

	// 4. A prefix span and spans not in the catalog.
	_, span = tracer.Start(ctx, "cli_start")
	span.SetAttributes(attribute.Int("exit_code", 0), attribute.String("dir", "/home/canary"))
	span.End()
	for _, name := range []string{"HTTP GET /canary", "canary", "cli_Canary", "cli_canary/x", "prompt_runs"} {
		_, span := tracer.Start(ctx, name)
		span.SetAttributes(attribute.Int("exit_code", 0))
		span.End()
	}

	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	got := rec.spans()
	var names []string
	for _, s := range got {
		names = append(names, s.Name())
		if d := dump(t, s); strings.Contains(strings.ToLower(d), "canary") {
			t.Errorf("a canary reached the next processor in span %q:\n%s", s.Name(), d)
		}
	}
	wantNames := []string{"cli_init"}
	for range len(canaries) + len(hostCanaries) {
		wantNames = append(wantNames, "scrub_test")
	}
	wantNames = append(wantNames, "prompt_processed", "deployment_heartbeat", "cli_start")
	if !slices.Equal(names, wantNames) {
		t.Fatalf("spans passed on: %q, want %q", names, wantNames)
	}
	if rec.started != 0 {
		t.Errorf("OnStart was passed on %d times", rec.started)
	}

	// Allowed values arrive unchanged, and nothing else.
	init := got[0]
	if !sameAttrs(init.Attributes(), allowed) {
		t.Errorf("cli_init attributes = %v, want %v", init.Attributes(), allowed)
	}
	if init.Status().Code != codes.Error || init.Status().Description != "" {
		t.Errorf("status = %+v, want code Error without description", init.Status())
	}
	if len(init.Events()) != 0 || len(init.Links()) != 0 {
		t.Errorf("events %v, links %v passed on", init.Events(), init.Links())
	}
	if init.SpanContext().TraceID() != parent.TraceID() || init.Parent().SpanID() != parent.SpanID() || !init.SpanContext().IsValid() {
		t.Errorf("span context lost its IDs: %+v parent %+v", init.SpanContext(), init.Parent())
	}
	wantRes := []attribute.KeyValue{
		attribute.String("service.name", "elmo-cli"), attribute.String("service.version", "1.2.3"),
		attribute.String("elmo.deployment.mode", "other"), // a path, sent as other
	}
	if r := init.Resource(); !sameAttrs(r.Attributes(), wantRes) {
		t.Errorf("resource = %v, want %v", r.Attributes(), wantRes)
	}
	for _, s := range got[1 : 1+len(canaries)+len(hostCanaries)] {
		want := []attribute.KeyValue{attribute.Int("count", 1), attribute.String("note", "other"), attribute.StringSlice("notes", []string{"other"})}
		if !sameAttrs(s.Attributes(), want) {
			t.Errorf("scrub_test attributes = %v, want %v", s.Attributes(), want)
		}
	}
	if hb := got[len(got)-2]; len(hb.Attributes()) != 0 {
		t.Errorf("deployment_heartbeat attributes = %v, want none", hb.Attributes())
	}
	pp := got[len(got)-3]
	if want := []attribute.KeyValue{
		attribute.Int("successful_runs", 1), attribute.Int("failed_runs", 1),
		attribute.StringSlice("providers", []string{"openai", "other"}),
		attribute.StringSlice("models", []string{"gpt-4o-mini", "other"}),
	}; !sameAttrs(pp.Attributes(), want) {
		t.Errorf("prompt_processed attributes = %v, want %v", pp.Attributes(), want)
	}

	d := filter.Dropped()
	for _, r := range []Reason{
		ReasonKeyNotAllowed, ReasonWrongType, ReasonSpanNotInCatalog, ReasonEvent, ReasonLink,
	} {
		if d.Get(r) == 0 {
			t.Errorf("no drop counted for %v (counts: %v)", r, d)
		}
	}
	if got := d.Get(ReasonSpanNotInCatalog); got != 5 {
		t.Errorf("spans not in catalog = %d, want 5", got)
	}
	if got := d.Get(ReasonLink); got != 2 {
		t.Errorf("links dropped = %d, want 2", got)
	}
	if strings.Contains(strings.ToLower(d.String()), "canary") {
		t.Errorf("drop counts hold a value: %v", d)
	}
}

func sameAttrs(got, want []attribute.KeyValue) bool {
	g, w := attribute.NewSet(got...), attribute.NewSet(want...)
	return len(got) == len(want) && g.Equals(&w)
}

// TestFilteredSpanImplementsEveryMethod calls every method of
// sdktrace.ReadOnlySpan on a view: a method the view does not implement
// itself would reach the nil embedded interface and panic. A new
// method in a later SDK fails here first, so that it is reviewed before
// anything could pass through it.
func TestFilteredSpanImplementsEveryMethod(t *testing.T) {
	known := []string{
		"Attributes", "ChildSpanCount", "DroppedAttributes", "DroppedEvents", "DroppedLinks",
		"EndTime", "Events", "InstrumentationLibrary", "InstrumentationScope", "Links", "Name",
		"Parent", "Resource", "SpanContext", "SpanKind", "StartTime", "Status",
	}
	rec := &recorder{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	_, span := tp.Tracer("elmo/test").Start(context.Background(), "cli_start")
	span.End()
	f, err := NewSpanFilter(nopProcessor{})
	if err != nil {
		t.Fatal(err)
	}
	it := reflect.TypeFor[sdktrace.ReadOnlySpan]()
	v := reflect.ValueOf(sdktrace.ReadOnlySpan(&filteredSpan{raw: rec.spans()[0], filter: f}))
	var methods []string
	for i := range it.NumMethod() {
		m := it.Method(i)
		if !m.IsExported() {
			continue
		}
		methods = append(methods, m.Name)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("filteredSpan does not implement %s itself: %v", m.Name, r)
				}
			}()
			v.MethodByName(m.Name).Call(nil)
		}()
	}
	if !slices.Equal(methods, known) {
		t.Errorf("sdktrace.ReadOnlySpan methods changed: %v, reviewed: %v", methods, known)
	}
}

func TestSpanFilterDelegates(t *testing.T) {
	rec := &recorder{err: errors.New("next failed")}
	f, err := NewSpanFilter(rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := f.ForceFlush(ctx); !errors.Is(err, rec.err) {
		t.Errorf("ForceFlush = %v, want the next processor's error", err)
	}
	if err := f.Shutdown(ctx); !errors.Is(err, rec.err) {
		t.Errorf("Shutdown = %v, want the next processor's error", err)
	}
	if rec.flushes != 1 || rec.shutdown != 1 {
		t.Errorf("flushes %d, shutdowns %d", rec.flushes, rec.shutdown)
	}
}

func TestNewSpanFilterErrors(t *testing.T) {
	if _, err := NewSpanFilter(nil); err == nil {
		t.Error("NewSpanFilter(nil) returned no error")
	}
	if _, err := NewSpanFilter(&recorder{}, WithPolicy(nil)); err == nil {
		t.Error("WithPolicy(nil) returned no error")
	}
	if _, err := NewMetricFilter(WithPolicy(nil)); err == nil {
		t.Error("NewMetricFilter(WithPolicy(nil)) returned no error")
	}
}

// TestSpanFilterWithBatchProcessor runs the filter in front of the SDK's
// batch processor and in-memory exporter, as the pipeline does.
func TestSpanFilterWithBatchProcessor(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	f, err := NewSpanFilter(sdktrace.NewBatchSpanProcessor(exp))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f))
	tracer := tp.Tracer("elmo/test")
	_, span := tracer.Start(context.Background(), "cli_telemetry_status")
	span.SetAttributes(attribute.Int("exit_code", 0), attribute.String("home", "/home/canary"))
	span.End()
	_, span = tracer.Start(context.Background(), "GET /canary")
	span.End()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := exp.GetSpans()
	if len(got) != 1 || got[0].Name != "cli_telemetry_status" || len(got[0].Attributes) != 1 || got[0].Attributes[0] != attribute.Int("exit_code", 0) {
		t.Errorf("exported %+v", got)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
