package exporter

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/elmohq/telemetry/exporter/posthogmap"
)

var _ sdktrace.SpanExporter = (*SpanExporter)(nil)

// SpanExporter turns each span into one PostHog event and queues it on a
// Client. It expects spans that are already filtered to what may leave the
// process.
//
// An event is named after its span and belongs to the install ID of the
// span's resource, or else its deployment ID; a span whose resource has
// neither is not sent and counts as dropped. Its UUID is derived from the
// trace and span IDs, its timestamp is the span's end time in UTC, and its
// properties are the span's attributes, the common properties taken from
// the resource (version, os, arch, runtime_version, deployment_mode,
// service), duration_ms and success (false when the span's status is
// Error).
type SpanExporter struct {
	client  *Client
	stopped atomic.Bool

	mu   sync.Mutex
	last *identity
}

// NewSpanExporter returns a SpanExporter that queues events on c.
func NewSpanExporter(c *Client) (*SpanExporter, error) {
	if c == nil {
		return nil, errors.New("posthog exporter: NewSpanExporter needs a Client")
	}
	return &SpanExporter{client: c}, nil
}

// ExportSpans queues one event per span and returns without waiting on the
// network.
func (e *SpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.stopped.Load() {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, s := range spans {
		id := e.identity(s)
		if id.DistinctID() == "" {
			e.client.dropped.Add(1)
			continue
		}
		sc := s.SpanContext()
		e.client.enqueueNoted(id.SpanEvent(&posthogmap.Span{
			Name:       s.Name(),
			TraceID:    sc.TraceID(),
			SpanID:     sc.SpanID(),
			Start:      s.StartTime(),
			End:        s.EndTime(),
			Failed:     s.Status().Code == codes.Error,
			Attributes: s.Attributes(),
		}), e.client.spanNotes(s))
	}
	return nil
}

// identity returns the identity of s's resource, computed once per
// resource.
func (e *SpanExporter) identity(s sdktrace.ReadOnlySpan) *identity {
	res := s.Resource()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil || e.last.res != res {
		e.last = identityOf(res)
	}
	return e.last
}

// Shutdown stops the exporter: spans exported after it are dropped. It
// neither flushes nor shuts down the Client, which belongs to whoever
// created it and may serve other exporters; that owner calls
// Client.Shutdown, which delivers what is queued. Shutdown does not block
// and is safe to call more than once.
func (e *SpanExporter) Shutdown(context.Context) error {
	e.stopped.Store(true)
	return nil
}
