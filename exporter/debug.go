package exporter

import (
	"context"

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
