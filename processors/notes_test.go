package processors

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/internal/pipeline/dropnotes"
)

// noteSink collects the notes a filter reports at once.
type noteSink struct {
	mu    sync.Mutex
	notes []string
}

func (s *noteSink) report(n string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes = append(s.notes, n)
}

func (s *noteSink) get() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notes)
}

// secrets are values that no note may show.
var secrets = []string{"/home/ada/report.csv", "ada@example.com", "acme-llm", "sk-live-0123456789abcdef", "Ada's fine-tune", "canary"}

func checkNoSecret(t *testing.T, notes []string) {
	t.Helper()
	all := strings.Join(notes, "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("a note shows the dropped value %q:\n%s", s, all)
		}
	}
}

func TestSpanDropNotes(t *testing.T) {
	tests := []struct {
		name  string
		span  string
		attrs []attribute.KeyValue
		setup func(trace.Span)
		want  []string
	}{{
		name:  "key not in the entry",
		span:  "cli_init",
		attrs: []attribute.KeyValue{attribute.String("output_path", secrets[0]), attribute.Bool("completed", true)},
		want:  []string{"dropped attribute output_path: not in catalog entry cli_init"},
	}, {
		name:  "key not in a prefix entry",
		span:  "cli_export",
		attrs: []attribute.KeyValue{attribute.String("output_path", secrets[0])},
		want:  []string{"dropped attribute output_path: not in catalog entry cli_<command> (span cli_export)"},
	}, {
		name:  "wrong type",
		span:  "cli_start",
		attrs: []attribute.KeyValue{attribute.String("exit_code", "0")},
		want:  []string{"dropped attribute exit_code: catalog entry cli_<command> (span cli_start) declares it int, it was set as string"},
	}, {
		name:  "not one of the values",
		span:  "cli_init",
		attrs: []attribute.KeyValue{attribute.String("failed_step", "canary")},
		want:  []string{"dropped attribute failed_step: value not one of its catalog values (config, consent, env_file, providers, database, newsletter)"},
	}, {
		name:  "sent as other",
		span:  "prompt_processed",
		attrs: []attribute.KeyValue{attribute.StringSlice("providers", []string{"openai", "acme-llm"})},
		want:  []string{`providers "…": sent as other (not one of its catalog values)`},
	}, {
		name:  "model with no public family",
		span:  "prompt_processed",
		attrs: []attribute.KeyValue{attribute.StringSlice("models", []string{"gpt-4o", "acme-llm"})},
		want:  []string{`models "…": sent as other (no public family matched)`},
	}, {
		name:  "fine-tuned model",
		span:  "prompt_processed",
		attrs: []attribute.KeyValue{attribute.StringSlice("models", []string{"ft:gpt-4o-mini:acme-llm::abc123"})},
		want:  []string{`models "…": sent as fine-tuned (a fine-tuned model)`},
	}, {
		name: "events, links and status description",
		span: "cli_start",
		setup: func(s trace.Span) {
			s.RecordError(errors.New(secrets[1]))
			s.AddLink(trace.Link{SpanContext: s.SpanContext()})
			s.SetStatus(codes.Error, secrets[3])
		},
		want: []string{
			"dropped 1 span event(s) (logs, exceptions): span events are never sent",
			"dropped 1 span link(s): links are never sent",
			"dropped the status description: only the status code is sent",
		},
	}, {
		name:  "all kept",
		span:  "cli_start",
		attrs: []attribute.KeyValue{attribute.Int("exit_code", 0)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink noteSink
			rec := &recorder{}
			f, err := NewSpanFilter(rec, WithDropNotes(sink.report))
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f))
			_, span := tp.Tracer("t").Start(context.Background(), tt.span, trace.WithAttributes(tt.attrs...))
			if tt.setup != nil {
				tt.setup(span)
			}
			span.End()
			_ = tp.Shutdown(context.Background())

			got := rec.spans()
			if len(got) != 1 {
				t.Fatalf("%d spans passed on, want 1", len(got))
			}
			notes := got[0].(interface{ DropNotes() []string }).DropNotes()
			if !slices.Equal(notes, tt.want) {
				t.Errorf("notes:\n%q\nwant:\n%q", notes, tt.want)
			}
			checkNoSecret(t, notes)
			if n := sink.get(); len(n) != 0 {
				t.Errorf("reported %q for a span that was passed on", n)
			}
		})
	}
}

func TestSpanDropNotesForSpansDroppedWhole(t *testing.T) {
	var sink noteSink
	rec := &recorder{}
	f, err := NewSpanFilter(rec, WithDropNotes(sink.report))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f))
	for _, name := range []string{"cli_Foo", "GET /home/ada/report.csv"} {
		_, span := tp.Tracer("t").Start(context.Background(), name)
		span.End()
	}
	_ = tp.Shutdown(context.Background())
	want := []string{
		"dropped span cli_Foo: not in catalog",
		"dropped span (a name of 24 bytes that looks like a file path): not in catalog",
	}
	if got := sink.get(); !slices.Equal(got, want) {
		t.Errorf("notes:\n%q\nwant:\n%q", got, want)
	}
	checkNoSecret(t, sink.get())
}

func TestNoDropNotesWithoutTheOption(t *testing.T) {
	rec := &recorder{}
	f, err := NewSpanFilter(rec)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f))
	_, span := tp.Tracer("t").Start(context.Background(), "cli_init", trace.WithAttributes(attribute.String("output_path", "x")))
	span.End()
	_ = tp.Shutdown(context.Background())
	if _, ok := rec.spans()[0].(interface{ DropNotes() []string }); ok {
		t.Error("a span passed on without WithDropNotes has drop notes")
	}
}

func TestWithDropNotesNil(t *testing.T) {
	if _, err := NewSpanFilter(nopProcessor{}, WithDropNotes(nil)); err == nil {
		t.Error("NewSpanFilter accepted WithDropNotes(nil)")
	}
	if _, err := NewMetricFilter(WithDropNotes(nil)); err == nil {
		t.Error("NewMetricFilter accepted WithDropNotes(nil)")
	}
}

// notedExporterRecorder records the notes the context of each export
// carries.
type notedExporterRecorder struct {
	recordingExporter
	notes []string
}

func (r *notedExporterRecorder) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	notes := dropnotes.FromContext(ctx)
	if notes == nil {
		return errors.New("the export carries no notes")
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range d.DataPoints {
					for _, n := range notes(m.Name, p.Attributes) {
						r.notes = append(r.notes, m.Name+" "+p.Attributes.Encoded(attribute.DefaultEncoder())+": "+n)
					}
				}
			}
		}
	}
	return r.recordingExporter.Export(ctx, rm)
}

func TestMetricDropNotes(t *testing.T) {
	var sink noteSink
	mf, err := NewMetricFilter(WithDropNotes(sink.report))
	if err != nil {
		t.Fatal(err)
	}
	rec := &notedExporterRecorder{}
	reader := sdkmetric.NewPeriodicReader(mf.Exporter(rec))
	mp := sdkmetric.NewMeterProvider(append([]sdkmetric.Option{sdkmetric.WithReader(reader)}, mf.ExportOptions()...)...)
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })

	meter := mp.Meter("t")
	runs, err := meter.Int64Counter("prompt_runs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := meter.Int64Counter("jobs_started"); err != nil {
		t.Fatal(err)
	}
	if _, err := meter.Int64Gauge("prompt_runs_now"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	runs.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "ok"), attribute.String("prompt", "canary one")))
	runs.Add(ctx, 2, metric.WithAttributes(attribute.String("outcome", "ok"), attribute.String("model", "acme-llm")))
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	wantPoints := []string{
		`prompt_runs model=other,outcome=ok: model "…": sent as other (no public family matched)`,
		`prompt_runs outcome=ok: dropped attribute prompt: not in catalog entry prompt_runs`,
	}
	got := slices.Sorted(slices.Values(rec.notes))
	if !slices.Equal(got, wantPoints) {
		t.Errorf("point notes:\n%q\nwant:\n%q", got, wantPoints)
	}
	wantWhole := []string{"dropped counter jobs_started: not in catalog", "dropped gauge prompt_runs_now: not in catalog"}
	if got := sink.get(); !slices.Equal(got, wantWhole) {
		t.Errorf("notes:\n%q\nwant:\n%q", got, wantWhole)
	}
	checkNoSecret(t, append(rec.notes, sink.get()...))
}
