// Package trace is a stub of go.opentelemetry.io/otel/trace.
package trace

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
)

type SpanStartOption interface{ start() }

type EventOption interface{ event() }

type SpanStartEventOption interface {
	SpanStartOption
	EventOption
}

type attrOption struct{}

func (attrOption) start() {}
func (attrOption) event() {}

func WithAttributes(kvs ...attribute.KeyValue) SpanStartEventOption { return attrOption{} }

type Span interface {
	End()
	SetAttributes(kv ...attribute.KeyValue)
	AddEvent(name string, opts ...EventOption)
	RecordError(err error, opts ...EventOption)
}

type Tracer interface {
	Start(ctx context.Context, name string, opts ...SpanStartOption) (context.Context, Span)
}

func SpanFromContext(ctx context.Context) Span { return nil }
