package exporter

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// NotePrefix starts each line of debug output that is not an event: a
// note on what the gate removed from the event above it, such as
//
//	# dropped attribute output_path: not in catalog entry cli_export
//
// Lines that do not start with it are events, one JSON object each.
const NotePrefix = "# "

// dropNoter is implemented by the spans that the gate in processors
// hands on when it explains what it removed (processors.WithDropNotes).
type dropNoter interface {
	DropNotes() []string
}

// spanNotes returns the drop notes of s, if the gate attached any.
func spanNotes(s sdktrace.ReadOnlySpan) []string {
	if n, ok := s.(dropNoter); ok {
		return n.DropNotes()
	}
	return nil
}

// printsNotes reports whether s prints events with their notes: a Client
// with debug output.
func printsNotes(s Sender) bool {
	c, ok := s.(*Client)
	return ok && c.debug != nil
}

// sendNoted hands events to s; when s prints them, notes[i] follows
// event i.
func sendNoted(ctx context.Context, s Sender, events []Event, notes [][]string) error {
	if c, ok := s.(*Client); ok && c.debug != nil {
		return c.send(ctx, events, notes)
	}
	return s.Send(ctx, events...)
}

// ExportNoted is Export for debug output: when the Client prints events
// (WithDebug), each data point's event is followed by notes(name, attrs),
// what the gate removed from the point of the metric called name whose
// attributes are attrs, one line each, starting with NotePrefix. The
// metric exporter of processors.MetricFilter calls it when the filter
// explains what it removes (processors.WithDropNotes). Without debug
// output it is Export.
func (e *MetricExporter) ExportNoted(ctx context.Context, rm *metricdata.ResourceMetrics, notes func(metric string, attrs attribute.Set) []string) error {
	if notes == nil {
		return errors.New("posthog exporter: ExportNoted needs a notes function")
	}
	return e.export(ctx, rm, notes)
}
