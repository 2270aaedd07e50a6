package processors

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// FilterOption configures [NewSpanFilter] and [NewMetricFilter].
type FilterOption interface {
	apply(filterConfig) filterConfig
}

type filterConfig struct {
	policy    *Policy
	policySet bool
	notes     func(string)
	notesSet  bool
}

type filterOptionFunc func(filterConfig) filterConfig

func (f filterOptionFunc) apply(c filterConfig) filterConfig { return f(c) }

// WithPolicy sets the policy a filter applies. The default is
// [DefaultPolicy]. A nil policy is an error.
func WithPolicy(p *Policy) FilterOption {
	return filterOptionFunc(func(c filterConfig) filterConfig {
		c.policy, c.policySet = p, true
		return c
	})
}

func newFilterConfig(opts []FilterOption) (filterConfig, error) {
	var cfg filterConfig
	for _, o := range opts {
		cfg = o.apply(cfg)
	}
	if cfg.policySet && cfg.policy == nil {
		return cfg, errors.New("processors: WithPolicy was given a nil policy")
	}
	if cfg.notesSet && cfg.notes == nil {
		return cfg, errNilNotes
	}
	if cfg.policy == nil {
		cfg.policy = DefaultPolicy()
	}
	return cfg, nil
}

// SpanFilter is a span processor that stands in front of the exporting
// processor (such as a BatchSpanProcessor) and passes it only what the
// policy allows. Register the SpanFilter with the TracerProvider instead of
// the processor it wraps: a processor registered beside it would see every
// span unfiltered.
//
// For each ended span whose name is in the policy, the wrapped processor
// gets a read-only view with:
//   - only the allowed attributes, with values of the right type that are
//     enumerated, well-formed and pass [Scrub] (strings truncated to
//     [MaxValueLen]);
//   - no span events (so no exception.*, stack traces or log lines) and no
//     links;
//   - the status code without its description;
//   - the resource reduced by [Policy.FilterResource], the instrumentation
//     scope without attributes, and span contexts without trace state;
//   - zero dropped-attribute, dropped-event and dropped-link counts.
//
// A span whose name is not in the policy is not passed on at all.
//
// OnStart is never passed on: at start a span is live and writable, and
// any view of it would show attributes before they are filtered (and let
// the next processor change the span). The exporting processors of the SDK
// do nothing in OnStart; a processor that needs it must not be wrapped.
type SpanFilter struct {
	next   sdktrace.SpanProcessor
	policy *Policy
	drops  dropCounters
	res    atomic.Pointer[resourcePair]
	notes  func(string) // nil unless WithDropNotes
}

type resourcePair struct{ in, out *resource.Resource }

var _ sdktrace.SpanProcessor = (*SpanFilter)(nil)

// NewSpanFilter returns a SpanFilter that passes what the policy allows to
// next. next must not be nil.
func NewSpanFilter(next sdktrace.SpanProcessor, opts ...FilterOption) (*SpanFilter, error) {
	if next == nil {
		return nil, errors.New("processors: NewSpanFilter needs the processor to pass filtered spans to, got nil")
	}
	cfg, err := newFilterConfig(opts)
	if err != nil {
		return nil, err
	}
	return &SpanFilter{next: next, policy: cfg.policy, notes: cfg.notes}, nil
}

// OnStart does nothing; see [SpanFilter] for why the wrapped processor is
// not told.
func (*SpanFilter) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd passes a filtered view of s to the wrapped processor, or nothing
// when the name of s is not in the policy.
func (f *SpanFilter) OnEnd(s sdktrace.ReadOnlySpan) {
	ce := f.policy.span(s.Name())
	if ce == nil {
		f.drops.add(ReasonSpanNotInCatalog, 1)
		if f.notes != nil {
			f.notes("dropped span " + quoteName(s.Name()) + ": not in catalog")
		}
		return
	}
	v := &filteredSpan{
		raw:    s,
		filter: f,
		attrs:  f.filterAttributes(ce, s.Attributes()),
	}
	f.drops.add(ReasonEvent, uint64(len(s.Events())))
	f.drops.add(ReasonLink, uint64(len(s.Links())))
	if f.notes != nil {
		f.next.OnEnd(&notedSpan{
			filteredSpan: *v,
			notes:        f.spanNotes(ce, s.Name(), s.Attributes(), len(s.Events()), len(s.Links()), s.Status().Description != ""),
		})
		return
	}
	f.next.OnEnd(v)
}

// filterAttributes returns the allowed attributes of in. When all are
// kept unchanged it returns in itself, which the SDK no longer changes
// once the span has ended, and allocates nothing.
func (f *SpanFilter) filterAttributes(ce *compiledEvent, in []attribute.KeyValue) []attribute.KeyValue {
	var out []attribute.KeyValue
	var repl attribute.KeyValue
	for i := range in {
		why, changed := ce.check(&in[i], &repl)
		if why != ReasonNone {
			f.drops.add(why, 1)
		}
		if out == nil {
			if why == ReasonNone && !changed {
				continue
			}
			out = make([]attribute.KeyValue, i, len(in))
			copy(out, in[:i])
		}
		switch {
		case why != ReasonNone:
		case changed:
			out = append(out, repl)
		default:
			out = append(out, in[i])
		}
	}
	if out == nil {
		// Cap the slice so that nothing beyond its end (such as a
		// duplicate the SDK removed) can be resliced into view.
		return in[:len(in):len(in)]
	}
	return out
}

// resource returns the filtered form of r, computing it once per resource
// (a TracerProvider has one).
func (f *SpanFilter) resource(r *resource.Resource) *resource.Resource {
	if p := f.res.Load(); p != nil && p.in == r {
		return p.out
	}
	out := f.policy.FilterResource(r)
	f.res.Store(&resourcePair{in: r, out: out})
	return out
}

// Shutdown shuts the wrapped processor down.
func (f *SpanFilter) Shutdown(ctx context.Context) error { return f.next.Shutdown(ctx) }

// ForceFlush flushes the wrapped processor.
func (f *SpanFilter) ForceFlush(ctx context.Context) error { return f.next.ForceFlush(ctx) }

// Dropped returns how much the filter has dropped so far, per reason.
// Resource attributes are not counted.
func (f *SpanFilter) Dropped() DropCounts { return f.drops.snapshot() }

// filteredSpan is the read-only view handed to the wrapped processor.
//
// Every method of sdktrace.ReadOnlySpan is implemented here, and each
// returns only what may pass: the attributes filtered in OnEnd, no events
// or links, the status code alone, span contexts without trace state, the
// scope without attributes, the filtered resource. The original span is
// kept in an unexported field, not embedded, so that no method of it is
// promoted; reading the cheap fields from it on demand keeps OnEnd short
// and moves that work to the exporting goroutine. (fmt shows the field as
// an address only.)
//
// The embedded interface is nil and only provides the unexported method
// the SDK requires, as the SDK's own tracetest.SpanStub does: a method
// added to the interface by a later SDK would panic rather than pass data
// through, and TestFilteredSpanImplementsEveryMethod names it first.
type filteredSpan struct {
	sdktrace.ReadOnlySpan

	raw    sdktrace.ReadOnlySpan
	filter *SpanFilter
	attrs  []attribute.KeyValue
}

// notedSpan is the view handed on by a filter made with [WithDropNotes]:
// a filteredSpan that also says what the filter removed. It is a type of
// its own so that filteredSpan, made for every span, stays as small.
type notedSpan struct {
	filteredSpan
	notes []string
}

// DropNotes returns what the filter removed from the span and why. The
// notes name keys, catalog entries and rules, never a removed value.
func (s *notedSpan) DropNotes() []string { return s.notes }

func (s *filteredSpan) Name() string { return s.raw.Name() }

func (s *filteredSpan) SpanContext() trace.SpanContext {
	return s.raw.SpanContext().WithTraceState(trace.TraceState{})
}

func (s *filteredSpan) Parent() trace.SpanContext {
	return s.raw.Parent().WithTraceState(trace.TraceState{})
}

func (s *filteredSpan) SpanKind() trace.SpanKind         { return s.raw.SpanKind() }
func (s *filteredSpan) StartTime() time.Time             { return s.raw.StartTime() }
func (s *filteredSpan) EndTime() time.Time               { return s.raw.EndTime() }
func (s *filteredSpan) Attributes() []attribute.KeyValue { return s.attrs }
func (*filteredSpan) Links() []sdktrace.Link             { return nil }
func (*filteredSpan) Events() []sdktrace.Event           { return nil }

func (s *filteredSpan) Status() sdktrace.Status {
	return sdktrace.Status{Code: s.raw.Status().Code}
}

// InstrumentationScope returns [Scope]: the name, version and attributes
// a tracer was created with are chosen in code, but they are not in the
// catalog, so they do not leave the process.
func (*filteredSpan) InstrumentationScope() instrumentation.Scope { return Scope }

//nolint:staticcheck // The deprecated method is part of the interface.
func (*filteredSpan) InstrumentationLibrary() instrumentation.Library {
	return Scope
}

func (s *filteredSpan) Resource() *resource.Resource { return s.filter.resource(s.raw.Resource()) }
func (*filteredSpan) DroppedAttributes() int         { return 0 }
func (*filteredSpan) DroppedLinks() int              { return 0 }
func (*filteredSpan) DroppedEvents() int             { return 0 }
func (s *filteredSpan) ChildSpanCount() int          { return s.raw.ChildSpanCount() }
