package exporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

var _ Sender = (*Backlog)(nil)

// Backlog keeps in memory, up to a bound, the events its Sender returned
// undelivered, and sends them again, oldest first, in front of the events
// of the next Send. A long-running service puts one in front of its
// Client, so that the events of an outage reach PostHog with the first
// export after it ends rather than at the next start; at stop, Take hands
// what is still held to the caller, which may keep it on disk.
//
// Past the bound, the oldest held events are dropped and counted (in the
// Client's Stats when the Sender is a *Client, and in its delivery record
// as DropBacklogFull). A Backlog is safe for concurrent use.
type Backlog struct {
	next Sender
	max  int

	mu      sync.Mutex
	held    []Event
	dropped uint64
}

// NewBacklog returns a Backlog in front of next that holds at most max
// events.
func NewBacklog(next Sender, max int) (*Backlog, error) {
	if next == nil {
		return nil, errors.New("posthog exporter: NewBacklog needs a Sender")
	}
	if max < 1 {
		return nil, fmt.Errorf("posthog exporter: a backlog must hold at least one event, not %d", max)
	}
	return &Backlog{next: next, max: max}, nil
}

// Send delivers the held events and then events through the Backlog's
// Sender, and keeps what it returns undelivered. It returns the Sender's
// error: the events it names as undelivered are held, not lost.
func (b *Backlog) Send(ctx context.Context, events ...Event) error {
	b.mu.Lock()
	all := append(b.held, events...)
	b.held = nil
	b.mu.Unlock()
	if len(all) == 0 {
		return nil
	}
	err := b.next.Send(ctx, all...)
	var se *SendError
	if errors.As(err, &se) && len(se.Undelivered) > 0 {
		b.Keep(se.Undelivered...)
	}
	return err
}

// Keep holds events for the next Send, such as the events a previous run
// of the program left on disk. Past the bound, the oldest go first.
func (b *Backlog) Keep(events ...Event) {
	b.mu.Lock()
	b.held = append(b.held, events...)
	var gone []Event
	if n := len(b.held) - b.max; n > 0 {
		gone = append(gone, b.held[:n]...)
		b.held = append([]Event(nil), b.held[n:]...)
		b.dropped += uint64(n)
	}
	b.mu.Unlock()
	if len(gone) == 0 {
		return
	}
	if c, ok := b.next.(*Client); ok {
		c.countDropped(len(gone))
		for _, ev := range gone {
			c.recordDrop(ev, DropBacklogFull)
		}
	}
}

// Take returns the events held now and forgets them.
func (b *Backlog) Take() []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	held := b.held
	b.held = nil
	return held
}

// Len returns how many events are held.
func (b *Backlog) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.held)
}

// Dropped returns how many held events were let go because the Backlog
// was full.
func (b *Backlog) Dropped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
