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

// SpanExporter turns each span into one PostHog event and hands the
// events of each export to a Sender, which delivers them before
// ExportSpans returns. It expects spans that are already filtered to what
// may leave the process.
//
// An event is named after its span and belongs to the install ID of the
// span's resource, or else its deployment ID; a span whose resource has
// neither cannot be sent and the Sender drops it. Its UUID is derived from
// the trace and span IDs, its timestamp is the span's end time in UTC, and
// its properties are the span's attributes, the common properties taken
// from the resource (version, os, arch, runtime_version, deployment_mode,
// service), duration_ms and success (false when the span's status is
// Error).
type SpanExporter struct {
	sender  Sender
	stopped atomic.Bool

	mu   sync.Mutex
	last *identity
}

// NewSpanExporter returns a SpanExporter that delivers through s: a
// *Client, or a Backlog in front of one.
func NewSpanExporter(s Sender) (*SpanExporter, error) {
	if s == nil {
		return nil, errors.New("posthog exporter: NewSpanExporter needs a Sender")
	}
	return &SpanExporter{sender: s}, nil
}

// ExportSpans delivers one event per span and returns once the Sender is
// done with them, or ctx ends. It returns the Sender's error: a
// *SendError names the events that were not delivered.
func (e *SpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.stopped.Load() || len(spans) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	noted := printsNotes(e.sender)
	events := make([]Event, 0, len(spans))
	var notes [][]string
	for _, s := range spans {
		id := e.identity(s)
		sc := s.SpanContext()
		events = append(events, id.SpanEvent(&posthogmap.Span{
			Name:       s.Name(),
			TraceID:    sc.TraceID(),
			SpanID:     sc.SpanID(),
			Start:      s.StartTime(),
			End:        s.EndTime(),
			Failed:     s.Status().Code == codes.Error,
			Attributes: s.Attributes(),
		}))
		if noted {
			notes = append(notes, spanNotes(s))
		}
	}
	return sendNoted(ctx, e.sender, events, notes)
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
// does not shut the Sender down, which belongs to whoever created it and
// may serve other exporters. It holds nothing, so it never waits, and it
// is safe to call more than once.
func (e *SpanExporter) Shutdown(context.Context) error {
	e.stopped.Store(true)
	return nil
}
