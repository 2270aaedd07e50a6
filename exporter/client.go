package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogmap"
)

// Event is one PostHog event in the form the capture API receives it, as
// the shared mapping of package posthogmap makes it. It round-trips
// through encoding/json, so undelivered events can be stored and handed
// to [Client.Send] again later with their UUID, which lets PostHog
// discard a copy it already has.
type Event = posthogmap.Event

// Sender delivers events. [*Client] is the Sender of PostHog's capture
// API; the exporters of this package hand their events to a Sender, so the
// caller chooses what delivery means (a [Backlog] in front of a Client in
// a long-running service, a file for a command-line tool that leaves
// delivery to a background process).
type Sender interface {
	// Send delivers events and returns once each one is delivered or
	// refused, or ctx ends. It returns nil when every event was
	// delivered, and a *SendError otherwise.
	Send(ctx context.Context, events ...Event) error
}

var _ Sender = (*Client)(nil)

// Stats counts what happened to the events handed to a Client.
type Stats struct {
	// Delivered counts events the server acknowledged with a 2xx status.
	Delivered uint64
	// Dropped counts events given up on before sending: an event with no
	// name, distinct ID or UUID, and events a Backlog over the Client had
	// to let go when full.
	Dropped uint64
	// Rejected counts events the server refused for good: with a status
	// that retrying cannot fix (a 4xx other than 408, 413 and 429), with a
	// v1 drop result, or as too large (413) on their own.
	Rejected uint64
	// Undelivered counts events that were neither acknowledged nor
	// rejected when retries ran out or the context of Send ended; Send
	// returned them to its caller.
	Undelivered uint64
	// DeliveredLate counts events delivered by a Send after an earlier
	// Send of this Client had returned them undelivered.
	DeliveredLate uint64
	// Retried counts HTTP requests that were sent again after a network
	// error, a 5xx, a 408, a 429 (legacy capture only) or, with v1, for
	// events the server asked to retry.
	Retried uint64
}

// ErrClosed is returned by Send on a Client that has been shut down.
var ErrClosed = errors.New("posthog exporter: client is shut down")

// Client delivers events to PostHog. It holds no queue and starts no
// goroutine of its own: [Client.Send] batches the events it is given into
// requests, sends them (at most WithMaxUploads at once), retries what can
// be retried within its context, and returns what was not delivered. The
// queue belongs to the caller: an OpenTelemetry batch span processor or
// periodic reader above the exporters of this package, the sending queue
// of an OpenTelemetry Collector exporter, or a background sender's loop.
//
// A Client is safe for concurrent use. Whoever created it calls Shutdown
// once nothing sends through it any more.
type Client struct {
	cfg   config
	tr    *transport   // nil in debug mode
	debug *debugWriter // nil unless WithDebug

	closed atomic.Bool

	delivered, dropped, rejected, undelivered, late atomic.Uint64

	// missed remembers the UUIDs of events a Send returned undelivered,
	// so that their later delivery is counted as late. It is bounded by
	// maxMissed; guarded by mu.
	mu     sync.Mutex
	missed map[string]struct{}

	health *health
}

// maxMissed bounds how many undelivered UUIDs a Client remembers to count
// late deliveries.
const maxMissed = 4096

// NewClient returns a Client configured by opts. It needs an API key unless
// WithDebug is given.
func NewClient(opts ...Option) (*Client, error) {
	cfg := newConfig(opts)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, missed: make(map[string]struct{})}
	if cfg.debug != nil {
		c.debug = &debugWriter{w: cfg.debug}
		return c, nil
	}
	c.health = &health{log: cfg.logger, lost: c.lost}
	c.tr = &transport{
		base:        cfg.transport,
		host:        cfg.host,
		apiKey:      cfg.apiKey,
		v1:          cfg.capture == CaptureV1,
		historical:  cfg.historicalMigration,
		maxAttempts: cfg.maxRetries + 1,
		gzipMin:     cfg.gzipMin,
		record:      cfg.record,
		health:      c.health,
		legacyEnv:   legacyEnvelope(cfg.apiKey, cfg.historicalMigration),
	}
	return c, nil
}

// Send delivers events and waits until each one is acknowledged or
// refused, or until ctx ends. It returns nil when every event was
// acknowledged, and a *SendError otherwise; errors.Is(err, ErrRejected)
// reports that none of them is worth sending again.
//
// Send batches the events into requests of at most WithBatchSize events
// and the capture API's size limit, compresses them, and sends them with
// at most WithMaxUploads requests open at once, retrying after network
// errors and retryable statuses with backoff and Retry-After within ctx,
// and splitting a batch the server finds too large. An event whose UUID
// appears twice in one call is sent once. Undelivered events keep their
// UUIDs: sending them again is safe, PostHog keeps one copy. Nothing of
// the call outlives it. With WithDebug, Send prints the events and sends
// nothing.
func (c *Client) Send(ctx context.Context, events ...Event) error {
	return c.send(ctx, events, nil)
}

// send is Send; in debug mode notes[i], when present, follows event i.
func (c *Client) send(ctx context.Context, events []Event, notes [][]string) error {
	if len(events) == 0 {
		return nil
	}
	if c.closed.Load() {
		// Returned to the caller, who may keep them: not lost here.
		return &SendError{Undelivered: events, Err: ErrClosed}
	}
	if c.debug != nil {
		return c.print(events, notes)
	}

	var (
		rejected int
		wire     = make([]wireEvent, 0, len(events))
		seen     = make(map[string]bool, len(events))
	)
	for i, ev := range events {
		if ev.Event == "" || ev.DistinctID == "" || ev.UUID == "" {
			// Nothing can make such an event acceptable.
			c.dropped.Add(1)
			rejected++
			continue
		}
		if seen[ev.UUID] {
			continue
		}
		seen[ev.UUID] = true
		ev.Timestamp = ev.Timestamp.UTC()
		data, err := encodeEvent(ev, c.cfg.capture)
		if err != nil {
			c.dropped.Add(1)
			rejected++
			continue
		}
		if len(data) > maxEventBytes {
			// The capture API would refuse it whatever happens.
			c.rejected.Add(1)
			rejected++
			c.recordDrop(ev, DropRefused)
			continue
		}
		wire = append(wire, wireEvent{uuid: ev.UUID, data: data, idx: i})
	}

	d := &delivery{c: c, events: events, outcomes: make([]outcome, len(events)), retried: make([]bool, len(events))}
	d.run(ctx, c.batches(wire))

	// An event is delivered late when an earlier Send returned it
	// undelivered, or when its request failed before it succeeded.
	var undelivered []Event
	var lateN uint64
	c.mu.Lock()
	for _, w := range wire {
		switch d.outcomes[w.idx] {
		case outcomeDelivered:
			_, missed := c.missed[w.uuid]
			if missed || d.retried[w.idx] {
				lateN++
			}
			delete(c.missed, w.uuid)
		case outcomeRejected:
			rejected++
			delete(c.missed, w.uuid)
		default:
			undelivered = append(undelivered, events[w.idx])
			if len(c.missed) < maxMissed {
				c.missed[w.uuid] = struct{}{}
			}
		}
	}
	c.mu.Unlock()
	c.late.Add(lateN)
	c.undelivered.Add(uint64(len(undelivered)))
	c.health.settled(lateN)

	switch {
	case len(undelivered) > 0:
		err := d.lastErr()
		if ctx.Err() != nil {
			err = errors.Join(err, ctx.Err())
		}
		if err == nil {
			err = errors.New("posthog exporter: the server did not acknowledge the events")
		}
		return &SendError{Undelivered: undelivered, Rejected: rejected, RetryAfter: d.retryAfter(), Err: err}
	case rejected > 0:
		return &SendError{Rejected: rejected, Err: ErrRejected}
	}
	return nil
}

// lost is how many events the Client gave up on for good.
func (c *Client) lost() uint64 { return c.dropped.Load() + c.rejected.Load() }

// batches cuts events into requests of at most the batch size and the
// capture API's size limit, in order.
func (c *Client) batches(events []wireEvent) [][]wireEvent {
	var (
		out   [][]wireEvent
		cur   []wireEvent
		bytes int
	)
	for _, w := range events {
		if len(cur) > 0 && (len(cur) >= c.cfg.batchSize || bytes+len(w.data) > maxBatchBytes) {
			out = append(out, cur)
			cur, bytes = nil, 0
		}
		cur = append(cur, w)
		bytes += len(w.data)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// delivery is one call of Send: its events and what became of each.
type delivery struct {
	c      *Client
	events []Event

	// stop ends the call's other requests once one has given up: a
	// server that cannot take one batch is not asked again, with the
	// same retries, for each of the others.
	stop context.CancelFunc

	mu       sync.Mutex
	outcomes []outcome // by index in events; zero while pending
	retried  []bool    // by index in events: delivered after a failed attempt
	errs     []error   // why batches were not delivered
}

// run sends the batches, at most maxUploads at once, and returns when
// every one is done.
func (d *delivery) run(ctx context.Context, batches [][]wireEvent) {
	if len(batches) == 0 {
		return
	}
	ctx, d.stop = context.WithCancel(ctx)
	defer d.stop()
	workers := min(d.c.cfg.maxUploads, len(batches))
	next := make(chan []wireEvent)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				d.deliver(ctx, b)
			}
		}()
	}
	for _, b := range batches {
		next <- b
	}
	close(next)
	wg.Wait()
}

// deliver sends one batch within the upload timeout.
func (d *delivery) deliver(ctx context.Context, b []wireEvent) {
	ctx, cancel := context.WithTimeout(ctx, d.c.cfg.uploadTimeout)
	defer cancel()
	err := ctx.Err()
	if err == nil {
		err = d.c.tr.deliver(ctx, b, d.report)
	}
	if err != nil {
		d.mu.Lock()
		d.errs = append(d.errs, err)
		d.mu.Unlock()
		d.stop()
	}
}

// report records the outcome of events as soon as the server says it.
func (d *delivery) report(events []wireEvent, o outcome, afterFailure bool) {
	var refused []Event
	d.mu.Lock()
	for _, w := range events {
		if d.outcomes[w.idx] != 0 {
			continue
		}
		d.outcomes[w.idx] = o
		d.retried[w.idx] = afterFailure
		if o == outcomeDelivered {
			d.c.delivered.Add(1)
		} else {
			d.c.rejected.Add(1)
			refused = append(refused, d.events[w.idx])
		}
	}
	d.mu.Unlock()
	for _, ev := range refused {
		d.c.recordDrop(ev, DropRefused)
	}
}

// lastErr returns why the call's batches were not delivered: the first
// batch that gave up says it; the others were only stopped after it.
func (d *delivery) lastErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.errs) == 0 {
		return nil
	}
	return d.errs[0]
}

// retryAfter returns the longest Retry-After of the answers that left
// batches undelivered.
func (d *delivery) retryAfter() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	var longest time.Duration
	for _, err := range d.errs {
		var se *statusError
		if errors.As(err, &se) {
			longest = max(longest, se.retryAfter)
		}
	}
	return longest
}

// countDropped counts n events given up on outside Send, such as those a
// Backlog let go when full.
func (c *Client) countDropped(n int) {
	c.dropped.Add(uint64(n))
}

// Shutdown ends the Client: it logs, when events were lost, one line
// counting them, and closes idle connections. A Send after it returns its
// events undelivered with ErrClosed. The Client holds nothing to deliver,
// so Shutdown never waits on the network; ctx is accepted for the
// symmetry of OpenTelemetry's exporters. Calls after the first do nothing.
func (c *Client) Shutdown(context.Context) error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.tr != nil {
		c.tr.closeIdleConnections()
		c.health.shutdown(c.Stats())
	}
	return nil
}

// Stats returns the Client's counters.
func (c *Client) Stats() Stats {
	s := Stats{
		Delivered:     c.delivered.Load(),
		Dropped:       c.dropped.Load(),
		Rejected:      c.rejected.Load(),
		Undelivered:   c.undelivered.Load(),
		DeliveredLate: c.late.Load(),
	}
	if c.tr != nil {
		s.Retried = c.tr.retried.Load()
	}
	return s
}

// print writes events in debug mode, each followed by its notes.
func (c *Client) print(events []Event, notes [][]string) error {
	var errs []error
	for i, ev := range events {
		if ev.Event == "" || ev.DistinctID == "" || ev.UUID == "" {
			c.dropped.Add(1)
			continue
		}
		ev.Timestamp = ev.Timestamp.UTC()
		var n []string
		if i < len(notes) {
			n = notes[i]
		}
		errs = append(errs, c.debug.write(ev, n))
	}
	return errors.Join(errs...)
}

// debugWriter writes each event as one JSON line, exactly as the legacy
// capture API receives it in a batch, followed by one line per note, in a
// single write so that nothing else comes between them.
type debugWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (d *debugWriter) write(ev Event, notes []string) error {
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
