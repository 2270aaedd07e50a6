package exporter

import (
	"errors"
	"fmt"
	"time"
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
	// the context ended first, or the Client was shut down. Sending them
	// again may succeed, and is safe: they keep their UUIDs.
	Undelivered []Event
	// Rejected is how many events were refused for good: by the server,
	// or before sending, as events no server could accept (no name,
	// distinct ID or UUID, or too large).
	Rejected int
	// RetryAfter is the longest wait the server asked for (Retry-After)
	// in the answers that left events undelivered; 0 when it asked for
	// none. A caller that retries on its own waits at least that long.
	RetryAfter time.Duration
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
