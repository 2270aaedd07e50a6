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
// back to (*Client).Enqueue later with their UUID, which lets PostHog
// discard a copy it already has.
type Event = posthogmap.Event

// Stats counts what happened to the events handed to a Client.
type Stats struct {
	// Delivered counts events the server acknowledged with a 2xx status.
	Delivered uint64
	// Dropped counts events refused before sending: the queue was full, the
	// client was shut down, or the event had no distinct ID.
	Dropped uint64
	// Rejected counts events the server refused for good: with a status
	// that retrying cannot fix (a 4xx other than 408, 413 and 429), with a
	// v1 drop result, or as too large (413) on their own. They are not
	// reported as undelivered.
	Rejected uint64
	// Undelivered counts events that were neither acknowledged nor rejected
	// when retries ran out or a flush or shutdown ended; they were passed to
	// the undelivered hook or returned in an UndeliveredError.
	Undelivered uint64
	// Retried counts HTTP requests that were sent again after a network
	// error, a 5xx, a 408, a 429 (legacy capture only) or, with v1, for
	// events the server asked to retry.
	Retried uint64
	// Held is how many events the Client holds in memory now: those
	// waiting to be sent or acknowledged, and failed ones waiting to be
	// reported. It never exceeds twice the queue size.
	Held int
}

// ErrClosed is returned by operations on a Client that has been shut
// down, other than Shutdown itself.
var ErrClosed = errors.New("posthog exporter: client is shut down")

// UndeliveredError reports events that were not acknowledged by the end of a
// flush or shutdown. Its events have also been passed to the hook set with
// WithUndelivered, if any: persist them from one place, not both.
type UndeliveredError struct {
	// Events are the events that were not acknowledged.
	Events []Event
	// Err is why: the context's error, or the last delivery error.
	Err error
}

// Error implements error.
func (e *UndeliveredError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("posthog exporter: %d events not delivered", len(e.Events))
	}
	return fmt.Sprintf("posthog exporter: %d events not delivered: %v", len(e.Events), e.Err)
}

// Unwrap returns Err.
func (e *UndeliveredError) Unwrap() error { return e.Err }

// Client is the connection to PostHog that the span and metric exporters of
// a process share. It queues events without blocking, batches them by
// count, size and time, and sends each batch with at most WithMaxUploads
// requests open at once, retrying what can be retried. A Client accounts
// for every event it accepts: each one is eventually delivered, rejected,
// dropped with a count, or reported as undelivered.
//
// The exporters never shut the Client down: whoever created it calls
// Shutdown, after the exporters' own Shutdown.
type Client struct {
	cfg   config
	tr    *sender      // nil in debug mode
	debug *debugWriter // nil unless WithDebug

	// genMu guards gen. Enqueue holds it for reading while it queues an
	// event; a flush holds it for writing to swap generations, so no event
	// can enter a generation once it is being closed.
	genMu sync.RWMutex
	gen   *generation // nil once shut down

	mu          sync.Mutex
	pending     map[string]*entry // by UUID, events queued or in flight
	undelivered []Event           // failed events not yet reported
	lastErr     error
	ready       []*batch // batches waiting for an upload slot, oldest first
	uploaders   int      // goroutines sending batches, at most cfg.maxUploads

	// drains counts flushes in progress; abort ends them. Shutdown waits
	// for them, so that every undelivered event has been reported by the
	// time it returns, even one that a concurrent Flush was waiting for.
	drains sync.WaitGroup
	abort  context.Context
	stop   context.CancelFunc
	// uploads counts the goroutines sending batches; Shutdown waits for
	// them once it has cancelled what is still in flight.
	uploads sync.WaitGroup

	delivered, dropped, rejected, undeliveredN atomic.Uint64

	health *health
}

// generation holds the events queued between two flushes: a flush closes
// the current generation, sends what it holds and waits for its events,
// while new events go to the next.
type generation struct {
	// ctx ends when a flush of the generation runs out of time, or the
	// Client is shut down; it cancels the generation's requests.
	ctx    context.Context
	cancel context.CancelFunc

	// Guarded by Client.mu.
	outstanding int           // events not yet resolved
	closing     bool          // a flush has taken the generation
	drained     chan struct{} // closed when closing and outstanding reaches 0
	buf         []wireEvent   // events not yet in a batch
	bufBytes    int
	timer       *time.Timer // sends buf after the flush interval
	timerSeq    uint64      // counts the timers started, so a stale one does nothing
}

// batch is a request's worth of events of one generation.
type batch struct {
	gen      *generation
	events   []wireEvent
	deadline time.Time // when its upload times out
}

type entry struct {
	ev      Event
	gen     *generation
	noSpool bool       // never report as undelivered (newsletter)
	done    chan error // receives the outcome when not nil
}

// NewClient returns a Client configured by opts. It needs an API key unless
// WithDebug is given.
func NewClient(opts ...Option) (*Client, error) {
	cfg := newConfig(opts)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, pending: make(map[string]*entry)}
	c.abort, c.stop = context.WithCancel(context.Background())
	if cfg.debug != nil {
		c.debug = &debugWriter{w: cfg.debug}
		return c, nil
	}
	c.health = &health{log: cfg.logger, lost: func() uint64 {
		return c.dropped.Load() + c.rejected.Load() + c.undeliveredN.Load()
	}}
	c.tr = &sender{
		base:        cfg.transport,
		host:        cfg.host,
		apiKey:      cfg.apiKey,
		v1:          cfg.capture == CaptureV1,
		historical:  cfg.historicalMigration,
		maxAttempts: cfg.maxRetries + 1,
		gzipMin:     cfg.gzipMin,
		outcome:     c.settle,
		record:      cfg.record,
		health:      c.health,
		legacyEnv:   legacyEnvelope(cfg.apiKey, cfg.historicalMigration),
	}
	c.gen = c.newGeneration()
	return c, nil
}

func (c *Client) newGeneration() *generation {
	gen := &generation{drained: make(chan struct{})}
	gen.ctx, gen.cancel = context.WithCancel(c.abort)
	return gen
}

// Enqueue queues events for delivery and returns without waiting on the
// network. Events keep their UUID, so events reported undelivered earlier
// can be sent again. An event whose UUID is already waiting for
// acknowledgement is skipped. Events that cannot be queued, because the
// queue is full, the event has no name or distinct ID, or the Client is shut
// down, are dropped and counted in Stats.
func (c *Client) Enqueue(events ...Event) {
	for _, ev := range events {
		_ = c.enqueue(ev, nil, false)
	}
}

func (c *Client) enqueue(ev Event, done chan error, noSpool bool) error {
	if ev.Event == "" || ev.DistinctID == "" || ev.UUID == "" {
		c.dropped.Add(1)
		return errors.New("posthog exporter: event needs a name, a distinct ID and a UUID")
	}
	ev.Timestamp = ev.Timestamp.UTC()
	if c.debug != nil {
		return c.debug.write(ev)
	}
	data, err := encodeEvent(ev, c.cfg.capture)
	if err != nil {
		c.dropped.Add(1)
		return err
	}

	c.genMu.RLock()
	defer c.genMu.RUnlock()
	gen := c.gen
	if gen == nil {
		c.dropped.Add(1)
		return ErrClosed
	}

	c.mu.Lock()
	if _, dup := c.pending[ev.UUID]; dup {
		c.mu.Unlock()
		if done != nil {
			// The caller waits for an outcome that belongs to the copy
			// already pending.
			return errPending
		}
		return nil
	}
	if len(c.pending) >= c.cfg.queueSize {
		c.mu.Unlock()
		c.dropped.Add(1)
		if !noSpool {
			c.recordDrop(ev, DropQueueFull)
		}
		return errors.New("posthog exporter: queue is full")
	}
	if len(data) > maxEventBytes {
		// The capture API would refuse it whatever happens.
		c.mu.Unlock()
		c.rejected.Add(1)
		if !noSpool {
			c.recordDrop(ev, DropRefused)
		}
		err := fmt.Errorf("%w: the event is %d bytes, more than %d", errRefused, len(data), maxEventBytes)
		if done != nil {
			done <- err
			return nil
		}
		return err
	}
	e := &entry{ev: ev, gen: gen, done: done, noSpool: noSpool}
	c.pending[ev.UUID] = e
	gen.outstanding++
	if gen.bufBytes+len(data) > maxBatchBytes && len(gen.buf) > 0 {
		c.cutLocked(gen)
	}
	gen.buf = append(gen.buf, wireEvent{uuid: ev.UUID, data: data, ent: e})
	gen.bufBytes += len(data)
	switch {
	case len(gen.buf) >= c.cfg.batchSize:
		c.cutLocked(gen)
	case gen.timer == nil:
		gen.timerSeq++
		seq := gen.timerSeq
		gen.timer = time.AfterFunc(c.cfg.flushInterval, func() { c.interval(gen, seq) })
	}
	c.mu.Unlock()
	return nil
}

// interval sends what gen holds when the flush interval of its timer seq
// has passed, unless the events went in a batch since.
func (c *Client) interval(gen *generation, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen.timer == nil || gen.timerSeq != seq {
		return
	}
	gen.timer = nil
	c.cutLocked(gen)
}

// cutLocked makes a batch of the events gen holds and hands it to an
// upload. c.mu must be held.
func (c *Client) cutLocked(gen *generation) {
	if gen.timer != nil {
		gen.timer.Stop()
		gen.timer = nil
	}
	if len(gen.buf) == 0 {
		return
	}
	b := &batch{gen: gen, events: gen.buf, deadline: time.Now().Add(c.cfg.uploadTimeout)}
	gen.buf, gen.bufBytes = nil, 0
	c.ready = append(c.ready, b)
	if c.uploaders < c.cfg.maxUploads {
		c.uploaders++
		c.uploads.Add(1)
		go c.upload()
	}
}

// upload sends ready batches, one at a time, until none is left. At most
// cfg.maxUploads run at once, so a server that never answers holds that
// many connections and goroutines, however many batches wait.
func (c *Client) upload() {
	defer c.uploads.Done()
	for {
		c.mu.Lock()
		if len(c.ready) == 0 {
			c.uploaders--
			c.mu.Unlock()
			return
		}
		b := c.ready[0]
		c.ready[0] = nil
		c.ready = c.ready[1:]
		c.mu.Unlock()
		c.send(b)
	}
}

// send delivers b and resolves each of its events.
func (c *Client) send(b *batch) {
	ctx, cancel := context.WithDeadline(b.gen.ctx, b.deadline)
	defer cancel()
	err := ctx.Err()
	if err == nil {
		err = c.tr.deliver(ctx, b.events)
	}
	if err == nil {
		err = errors.New("posthog exporter: the server did not acknowledge the events")
	}
	c.fail(b.events, err)
}

// settle resolves events the server acknowledged or refused for good.
func (c *Client) settle(events []wireEvent, o outcome) {
	var refused []Event // recorded as dropped once c.mu is released
	c.mu.Lock()
	for _, w := range events {
		e := w.ent
		if c.pending[w.uuid] != e {
			continue // given up on by a flush that ran out of time
		}
		if o == outcomeDelivered {
			c.delivered.Add(1)
			c.resolveLocked(e, nil)
			continue
		}
		c.rejected.Add(1)
		c.resolveLocked(e, errRefused)
		if !e.noSpool {
			refused = append(refused, e.ev)
		}
	}
	c.mu.Unlock()
	for _, ev := range refused {
		c.recordDrop(ev, DropRefused)
	}
}

// fail resolves the events of a batch that are still pending as not
// delivered, because of err.
func (c *Client) fail(events []wireEvent, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range events {
		e := w.ent
		if c.pending[w.uuid] != e {
			continue
		}
		c.undeliveredN.Add(1)
		if !e.noSpool {
			c.keepUndeliveredLocked(e.ev)
			c.lastErr = err
		}
		c.resolveLocked(e, err)
	}
}

// resolveLocked removes e from the pending set and reports outcome to
// whoever waits for e, before a flush waiting for e's generation can see it
// resolved. c.mu must be held.
func (c *Client) resolveLocked(e *entry, outcome error) {
	if e.done != nil {
		e.done <- outcome // buffered, and each entry is resolved once
	}
	delete(c.pending, e.ev.UUID)
	e.gen.outstanding--
	if e.gen.closing && e.gen.outstanding == 0 {
		close(e.gen.drained)
	}
}

// keepUndeliveredLocked holds a failed event until the next flush reports
// it. At most queueSize are held, the oldest dropped first, so that a long
// outage in a process that never flushes (a deployment service between
// start and shutdown) neither grows memory nor stops new events once the
// server is back. c.mu must be held.
func (c *Client) keepUndeliveredLocked(ev Event) {
	if len(c.undelivered) >= c.cfg.queueSize {
		c.undelivered = c.undelivered[1:]
		c.dropped.Add(1)
	}
	c.undelivered = append(c.undelivered, ev)
}

// Flush sends every event queued so far and waits until each one is
// acknowledged, rejected or has failed for good, or until ctx ends. Events
// that failed, including those not acknowledged when ctx ended, are passed
// to the undelivered hook and returned in an *UndeliveredError.
func (c *Client) Flush(ctx context.Context) error {
	if c.debug != nil {
		return nil
	}
	c.genMu.Lock()
	old := c.gen
	if old == nil {
		c.genMu.Unlock()
		return ErrClosed
	}
	c.gen = c.newGeneration()
	c.drains.Add(1)
	c.genMu.Unlock()
	return c.drain(ctx, old)
}

// Shutdown stops accepting events, sends what is queued and waits as Flush
// does. It returns by the time ctx ends, having cancelled requests still in
// flight; events not acknowledged by then are passed to the undelivered hook
// and returned in an *UndeliveredError. A Flush running at the same time
// (such as the one a provider's shutdown starts) is waited for until ctx
// ends, then cut short, so that when Shutdown returns every event has been
// accounted for. Once Shutdown has begun, a request that cannot reach the
// server (a refused connection, say) is not retried: its events are
// undelivered at once, and a CLI spools them instead of spending its exit
// budget on retries. Calls after the first do nothing and return nil.
func (c *Client) Shutdown(ctx context.Context) error {
	if c.debug != nil {
		return nil
	}
	c.genMu.Lock()
	old := c.gen
	c.gen = nil
	if old != nil {
		c.drains.Add(1)
	}
	c.genMu.Unlock()
	if old == nil {
		return nil
	}
	c.tr.final.Store(true)
	err := c.drain(ctx, old)
	others := make(chan struct{})
	go func() {
		c.drains.Wait()
		close(others)
	}()
	select {
	case <-others:
	case <-ctx.Done():
		c.stop()
		<-others
	}
	// Every event is accounted for: end what is still in flight or waiting
	// for an upload slot, and wait for the uploads to return.
	c.stop()
	c.uploads.Wait()
	c.tr.closeIdleConnections()
	c.health.shutdown(c.Stats())
	return err
}

// drain sends what gen still holds and waits for its events, or for ctx
// to end. No event enters gen any more.
// The caller has counted the drain in c.drains while holding genMu, so that
// a Shutdown cannot miss a flush that has taken its generation.
func (c *Client) drain(ctx context.Context, gen *generation) error {
	defer c.drains.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.abort, cancel)()

	c.mu.Lock()
	gen.closing = true
	c.cutLocked(gen)
	if gen.outstanding == 0 {
		close(gen.drained)
	}
	c.mu.Unlock()

	var ctxErr error
	select {
	case <-gen.drained:
	case <-ctx.Done():
		ctxErr = ctx.Err()
		// Cancel the generation's requests; their late outcomes are
		// ignored.
		gen.cancel()
	}

	// Whatever is still pending was cut off by the deadline: take it now.
	c.mu.Lock()
	var lost []*entry
	for _, e := range c.pending {
		if e.gen == gen {
			lost = append(lost, e)
		}
	}
	for _, e := range lost {
		c.resolveLocked(e, fmt.Errorf("posthog exporter: not acknowledged in time: %w", ctx.Err()))
		c.undeliveredN.Add(1)
		if !e.noSpool {
			c.undelivered = append(c.undelivered, e.ev)
		}
	}
	failed := c.undelivered
	c.undelivered = nil
	lastErr := c.lastErr
	c.lastErr = nil
	c.mu.Unlock()
	if ctxErr == nil {
		// The generation is done: release its context.
		gen.cancel()
	}

	if len(failed) == 0 {
		if ctxErr != nil {
			return fmt.Errorf("posthog exporter: flush: %w", ctxErr)
		}
		return nil
	}
	if c.cfg.undelivered != nil {
		c.cfg.undelivered(failed)
	}
	if err := ctx.Err(); err != nil {
		// The deadline is why, even if the cancelled requests reported first.
		lastErr = err
	}
	return &UndeliveredError{Events: failed, Err: lastErr}
}

// Stats returns the Client's counters.
func (c *Client) Stats() Stats {
	s := Stats{
		Delivered:   c.delivered.Load(),
		Dropped:     c.dropped.Load(),
		Rejected:    c.rejected.Load(),
		Undelivered: c.undeliveredN.Load(),
	}
	if c.tr != nil {
		s.Retried = c.tr.retried.Load()
	}
	c.mu.Lock()
	s.Held = len(c.pending) + len(c.undelivered)
	c.mu.Unlock()
	return s
}

// debugWriter writes each event as one JSON line, exactly as the legacy
// capture API receives it in a batch.
type debugWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (d *debugWriter) write(ev Event) error {
	b, err := json.Marshal(toLegacy(ev))
	if err != nil {
		return fmt.Errorf("posthog exporter: encoding event %q: %w", ev.Event, err)
	}
	b = append(b, '\n')
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err = d.w.Write(b)
	return err
}
