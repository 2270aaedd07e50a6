package exporter

import (
	"context"
	"errors"
	"fmt"
)

var (
	// errRefused is the outcome of an event the server refused for good.
	errRefused = errors.New("posthog exporter: server refused the event")
	// errPending is returned by enqueue when a caller that waits for the
	// outcome queues an event whose UUID is already waiting.
	errPending = errors.New("posthog exporter: an event with the same UUID is already being sent")
)

// ErrRejected is wrapped by the error of [Client.Send] when every event it
// could not deliver was refused by the server for good (a 4xx other than
// 408, 413 and 429, a v1 drop result, or too large on its own): sending
// them again cannot succeed.
var ErrRejected = errors.New("posthog exporter: the server refused events for good")

// SendError reports the events of one [Client.Send] that were not
// delivered.
type SendError struct {
	// Undelivered are the events that were neither acknowledged nor
	// refused for good: the server could not be reached, retries ran out,
	// the context ended first, or the Client's queue was full. Sending
	// them again may succeed, and is safe: they keep their UUIDs.
	Undelivered []Event
	// Rejected is how many events the server refused for good.
	Rejected int
	// Err is why: ErrRejected when nothing is left to send again, else the
	// last delivery error or the context's error.
	Err error
}

// Error implements error.
func (e *SendError) Error() string {
	return fmt.Sprintf("posthog exporter: %d events not delivered, %d refused by the server: %v",
		len(e.Undelivered), e.Rejected, e.Err)
}

// Unwrap returns Err.
func (e *SendError) Unwrap() error { return e.Err }

// Send delivers events and waits until each one is acknowledged or
// refused, or until ctx ends. It returns nil when every event was
// acknowledged, and a *SendError otherwise; errors.Is(err, ErrRejected)
// reports that none of them is worth sending again.
//
// Send follows the Client's delivery rules (batching, compression, the
// capture API, retries with backoff within ctx, 413 splits) and flushes the
// Client to send at once, so events queued with Enqueue are sent too. Its
// own events are never passed to the undelivered hook: the caller, which
// gets them back in the error, decides whether to send them again. It is
// the delivery of a caller that keeps events itself, such as the queue of
// an OpenTelemetry Collector exporter. It is safe for concurrent use.
func (c *Client) Send(ctx context.Context, events ...Event) error {
	if c.debug != nil {
		for _, ev := range events {
			if err := c.enqueue(ev, nil, false); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		failed   []Event
		rejected int
		lastErr  error
	)
	dones := make([]chan error, len(events))
	for i, ev := range events {
		done := make(chan error, 1)
		if err := c.enqueue(ev, done, true); err != nil {
			failed = append(failed, ev)
			lastErr = err
			continue
		}
		dones[i] = done
	}
	if len(failed) < len(events) {
		// Events that fail are reported below, one by one; the flush's own
		// error says nothing more about them.
		_ = c.Flush(ctx)
	}
	for i, done := range dones {
		if done == nil {
			continue
		}
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		switch {
		case err == nil:
		case errors.Is(err, errRefused):
			rejected++
		default:
			failed = append(failed, events[i])
			lastErr = err
		}
	}
	switch {
	case len(failed) > 0:
		return &SendError{Undelivered: failed, Rejected: rejected, Err: lastErr}
	case rejected > 0:
		return &SendError{Rejected: rejected, Err: ErrRejected}
	}
	return nil
}
