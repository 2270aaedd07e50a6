package exporter

import (
	"encoding/json"
)

// Sent is an event the server acknowledged, as it went on the wire.
type Sent struct {
	// UUID identifies the event.
	UUID string
	// Wire is the event's JSON exactly as it was in the request body the
	// server acknowledged, before compression: with the library
	// properties ($lib and $lib_version with the legacy capture API).
	Wire json.RawMessage
}

// Drop is an event the Client gave up on for good, and why. Events Send
// returns undelivered, for a later attempt, are not dropped.
type Drop struct {
	// Event is the event as it was handed to the Client.
	Event Event
	// Reason says why, such as "the server refused it".
	Reason string
}

// The reasons of a Drop.
const (
	// DropRefused: the server refused the event for good (a 4xx other
	// than 408 and 429, a v1 drop result, or too large on its own).
	DropRefused = "the server refused it"
	// DropBacklogFull: a Backlog held as many undelivered events as it
	// may, and let the oldest go.
	DropBacklogFull = "the backlog was full"
)

// WithDeliveryRecord sets a function that the Client calls with the events
// the server acknowledged, exactly as they went on the wire, and with the
// events it dropped for good, with the reason. It is called off the
// exporting path, from the goroutine that delivers a batch (after the
// server answered) or that dropped an event, and never while the Client
// holds a lock; it should return quickly, as delivery waits for it. Either
// slice may be empty. With WithDebug nothing is sent, and f is never
// called.
func WithDeliveryRecord(f func(sent []Sent, dropped []Drop)) Option {
	return optionFunc(func(c config) config {
		c.record = f
		return c
	})
}

// recordSent reports acknowledged events to the delivery record.
func (s *transport) recordSent(events []wireEvent) {
	if s.record == nil || len(events) == 0 {
		return
	}
	sent := make([]Sent, len(events))
	for i, ev := range events {
		sent[i] = Sent{UUID: ev.uuid, Wire: ev.data}
	}
	s.record(sent, nil)
}

// recordDrop reports one dropped event to the delivery record.
func (c *Client) recordDrop(ev Event, reason string) {
	if c.cfg.record != nil {
		c.cfg.record(nil, []Drop{{Event: ev, Reason: reason}})
	}
}
