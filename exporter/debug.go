package exporter

import (
	"encoding/json"
	"fmt"

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

// spanNotes returns the drop notes of s when the Client prints events.
func (c *Client) spanNotes(s sdktrace.ReadOnlySpan) []string {
	if c.debug == nil {
		return nil
	}
	if n, ok := s.(dropNoter); ok {
		return n.DropNotes()
	}
	return nil
}

// enqueueNoted queues ev as Enqueue does; in debug mode it prints notes
// after it.
func (c *Client) enqueueNoted(ev Event, notes []string) {
	if c.debug == nil || len(notes) == 0 {
		_ = c.enqueue(ev, nil, false)
		return
	}
	if ev.Event == "" || ev.DistinctID == "" || ev.UUID == "" {
		c.dropped.Add(1)
		return
	}
	ev.Timestamp = ev.Timestamp.UTC()
	_ = c.debug.writeNoted(ev, notes)
}

// writeNoted writes ev as write does, followed by one line per note,
// in a single write so that nothing else comes between them.
func (d *debugWriter) writeNoted(ev Event, notes []string) error {
	b, err := json.Marshal(toLegacy(ev))
	if err != nil {
		return fmt.Errorf("posthog exporter: encoding event %q: %w", ev.Event, err)
	}
	b = append(b, '\n')
	for _, n := range notes {
		b = append(b, NotePrefix...)
		b = append(b, n...)
		b = append(b, '\n')
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err = d.w.Write(b)
	return err
}
