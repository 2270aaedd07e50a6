package processors

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// discard is a span exporter that drops everything.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkSpanPipeline measures starting and ending a span with four
// attributes through a TracerProvider with a BatchSpanProcessor and a
// discarding exporter: bare (the baseline, run first), with the SpanFilter
// in front keeping all four attributes, and with the SpanFilter dropping
// two of them. The last sub-benchmark runs the three in turns, in small
// chunks, so that all three see the same load on a shared machine, and
// reports the ratios to the baseline (targets: b/a <= 1.25, c/a <= 1.5).
func BenchmarkSpanPipeline(b *testing.B) {
	a := pipeline(b, false, keepAllAttrs)
	bf := pipeline(b, true, keepAllAttrs)
	c := pipeline(b, true, dropHalfAttrs)
	b.Run("a=bare", func(b *testing.B) { a.loop(b) })
	b.Run("b=filter_keep_all", func(b *testing.B) { bf.loop(b) })
	b.Run("c=filter_drop_half", func(b *testing.B) { c.loop(b) })
	b.Run("ratios", func(b *testing.B) {
		const chunk = 64
		var ns [3]time.Duration
		all := [3]*benchPipeline{a, bf, c}
		round := 0
		for b.Loop() {
			for k := range 3 {
				i := (round + k) % 3 // rotate the order between rounds
				start := time.Now()
				for range chunk {
					all[i].span()
				}
				ns[i] += time.Since(start)
			}
			round++
		}
		per := func(i int) float64 { return float64(ns[i].Nanoseconds()) / float64(round*chunk) }
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(per(0), "a-ns/span")
		b.ReportMetric(per(1), "b-ns/span")
		b.ReportMetric(per(2), "c-ns/span")
		b.ReportMetric(per(1)/per(0), "b/a")
		b.ReportMetric(per(2)/per(0), "c/a")
	})
}

var (
	keepAllAttrs = []attribute.KeyValue{
		attribute.Int("exit_code", 0),
		attribute.String("postgres_mode", "embedded"),
		attribute.Bool("completed", true),
		attribute.StringSlice("providers", []string{"openai", "anthropic"}),
	}
	dropHalfAttrs = []attribute.KeyValue{
		attribute.Int("exit_code", 0),
		attribute.String("postgres_mode", "embedded"),
		attribute.String("prompt", "Compare Acme to its rivals"),
		attribute.String("dir", "/home/alice/.elmo"),
	}
)

type benchPipeline struct {
	tracer trace.Tracer
	opt    trace.SpanStartOption
}

func pipeline(b *testing.B, filtered bool, attrs []attribute.KeyValue) *benchPipeline {
	var sp sdktrace.SpanProcessor = sdktrace.NewBatchSpanProcessor(discard{})
	if filtered {
		f, err := NewSpanFilter(sp)
		if err != nil {
			b.Fatal(err)
		}
		sp = f
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sp))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &benchPipeline{tracer: tp.Tracer("elmo/bench"), opt: trace.WithAttributes(attrs...)}
}

func (p *benchPipeline) span() {
	_, span := p.tracer.Start(context.Background(), "cli_init", p.opt)
	span.End()
}

func (p *benchPipeline) loop(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		p.span()
	}
}

type nopProcessor struct{}

func (nopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (nopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (nopProcessor) Shutdown(context.Context) error                  { return nil }
func (nopProcessor) ForceFlush(context.Context) error                { return nil }

// BenchmarkSpanFilterOnEnd measures the filter alone on an ended span.
func BenchmarkSpanFilterOnEnd(b *testing.B) {
	rec := &recorder{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	_, span := tp.Tracer("elmo/bench").Start(context.Background(), "cli_init", trace.WithAttributes(
		attribute.Int("exit_code", 0),
		attribute.String("postgres_mode", "embedded"),
		attribute.Bool("completed", true),
		attribute.StringSlice("providers", []string{"openai", "anthropic"}),
	))
	span.End()
	s := rec.spans()[0]
	f, err := NewSpanFilter(nopProcessor{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		f.OnEnd(s)
	}
}
