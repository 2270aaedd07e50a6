package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/posthog/posthog-go"

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
// a process share. It queues events without blocking and hands them to
// posthog-go, which batches, compresses and sends them; its HTTP transport
// retries what can be retried. A Client accounts for every event it
// accepts: each one is eventually delivered, rejected, dropped with a count,
// or reported as undelivered.
//
// The exporters never shut the Client down: whoever created it calls
// Shutdown, after the exporters' own Shutdown.
type Client struct {
	cfg   config
	rt    *retryTransport // nil in debug mode
	debug *debugWriter    // nil unless WithDebug

	// genMu guards gen. Enqueue holds it for reading while it hands an event
	// to posthog-go; a flush holds it for writing to swap generations, so
	// no event can enter a generation once it is being closed.
	genMu sync.RWMutex
	gen   *generation // nil once shut down

	mu          sync.Mutex
	pending     map[string]*entry // by UUID, events posthog-go holds
	undelivered []Event           // failed events not yet reported
	lastErr     error

	// drains counts flushes in progress; abort ends them. Shutdown waits
	// for them, so that every undelivered event has been reported by the
	// time it returns, even one that a concurrent Flush was waiting for.
	drains sync.WaitGroup
	abort  context.Context
	stop   context.CancelFunc

	delivered, dropped, rejected, undeliveredN atomic.Uint64

	health *health
}

// generation is one posthog-go client. posthog-go can only be flushed by
// closing it, so a flush closes the current generation and starts the next.
type generation struct {
	ph          posthog.Client
	outstanding int           // events not yet resolved; guarded by Client.mu
	closing     bool          // guarded by Client.mu
	drained     chan struct{} // closed when closing and outstanding reaches 0
}

type entry struct {
	ev      Event
	gen     *generation
	outcome outcome    // set by the transport before posthog-go reports
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
	c.rt = &retryTransport{
		base:        cfg.transport,
		maxAttempts: cfg.maxRetries + 1,
		backoff:     posthog.DefaultBackoff(),
		gzipMin:     cfg.gzipMin,
		outcomes:    c.markOutcomes,
		record:      cfg.record,
		health:      c.health,
		slots:       make(chan struct{}, cfg.maxUploads),
	}
	gen, err := c.newGeneration()
	if err != nil {
		return nil, err
	}
	c.gen = gen
	return c, nil
}

// posthogConfig is how the Client configures posthog-go.
func (c *Client) posthogConfig(gen *generation) posthog.Config {
	zero := 0
	return posthog.Config{
		Endpoint:  c.cfg.host,
		Transport: c.rt,
		Logger:    slogLogger{c.cfg.logger},
		Callback:  callback{c, gen},
		BatchSize: c.cfg.batchSize,
		Interval:  c.cfg.flushInterval,
		// The Client bounds memory itself (see Enqueue); posthog-go's queue
		// is only as large so that it never refuses what the Client took.
		MaxQueueSize: c.cfg.queueSize,
		// The transport compresses, after it has removed the system
		// properties posthog-go adds while serializing.
		Compression:         posthog.CompressionNone,
		CaptureMode:         c.cfg.capture.mode(),
		HistoricalMigration: c.cfg.historicalMigration,
		// GeoIP stays on: the public page says the IP address is used for
		// approximate location. $is_server is never sent: the CLI is not a
		// server.
		DisableGeoIP: posthog.Ptr(false),
		IsServer:     posthog.Ptr(false),
		// Retries live in retryTransport, not in posthog-go: posthog-go
		// abandons a batch that is waiting to retry as soon as Close begins,
		// which is exactly when the CLI sends everything, its failure
		// callback does not say which status the server gave, and it
		// neither splits a batch refused as too large nor removes its
		// system properties. The transport retries within the request's
		// context, which posthog-go cancels when a close runs out of time.
		MaxRetries:         &zero,
		RetryAfter:         func(int) time.Duration { return 0 },
		BatchUploadTimeout: c.cfg.uploadTimeout,
		// Never wait in the batching loop for a free upload slot.
		BatchSubmitTimeout: -1,
	}
}

func (c *Client) newGeneration() (*generation, error) {
	gen := &generation{drained: make(chan struct{})}
	ph, err := posthog.NewWithConfig(c.cfg.apiKey, c.posthogConfig(gen))
	if err != nil {
		return nil, fmt.Errorf("posthog exporter: configuring posthog-go: %w", err)
	}
	gen.ph = ph
	return gen, nil
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
	e := &entry{ev: ev, gen: gen, done: done, noSpool: noSpool}
	c.pending[ev.UUID] = e
	gen.outstanding++
	c.mu.Unlock()

	if err := gen.ph.Enqueue(toCapture(ev)); err != nil {
		// posthog-go calls no callback for an event it refuses here.
		c.mu.Lock()
		if c.pending[ev.UUID] == e {
			c.resolveLocked(e, err)
		}
		c.mu.Unlock()
		c.dropped.Add(1)
		return fmt.Errorf("posthog exporter: queueing event: %w", err)
	}
	return nil
}

// toCapture converts an Event to the posthog-go message that produces it.
func toCapture(ev Event) posthog.Capture {
	return posthog.Capture{
		Uuid:       ev.UUID,
		DistinctId: ev.DistinctID,
		Event:      ev.Event,
		Timestamp:  ev.Timestamp,
		Properties: posthog.Properties(ev.Properties),
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

// markOutcomes is called by the transport, before posthog-go reports on
// the request, with the UUIDs of events the server acknowledged or refused
// for good. A request that fails as a whole after some of its events were
// delivered (a split batch) is then counted right.
func (c *Client) markOutcomes(uuids []string, o outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range uuids {
		if e, ok := c.pending[id]; ok {
			e.outcome = o
		}
	}
}

// callback receives the per-event outcomes of one generation.
type callback struct {
	c   *Client
	gen *generation
}

func (cb callback) Success(m posthog.APIMessage) {
	c := cb.c
	c.mu.Lock()
	if e := c.pendingFor(m, cb.gen); e != nil {
		if e.outcome == outcomeRejected {
			c.rejected.Add(1)
			c.resolveLocked(e, errRefused)
			if !e.noSpool {
				defer c.recordDrop(e.ev, DropRefused) // after the unlock
			}
		} else {
			c.resolveLocked(e, nil)
			c.delivered.Add(1)
		}
	}
	c.mu.Unlock()
}

func (cb callback) Failure(m posthog.APIMessage, err error) {
	c := cb.c
	var refused *Event // recorded as dropped once c.mu is released
	defer func() {
		if refused != nil {
			c.recordDrop(*refused, DropRefused)
		}
	}()
	c.mu.Lock()
	e := c.pendingFor(m, cb.gen)
	if e == nil {
		c.mu.Unlock()
		return
	}
	defer c.mu.Unlock()
	switch {
	case e.outcome == outcomeDelivered:
		c.delivered.Add(1)
		err = nil
	case e.outcome == outcomeRejected || errors.Is(err, posthog.ErrMessageTooBig) || droppedByServer(err):
		c.rejected.Add(1)
		err = fmt.Errorf("%w: %w", errRefused, err)
		if !e.noSpool {
			refused = &e.ev
		}
	case e.noSpool:
		c.undeliveredN.Add(1)
	default:
		c.undeliveredN.Add(1)
		c.keepUndeliveredLocked(e.ev)
		c.lastErr = err
	}
	c.resolveLocked(e, err)
}

// droppedByServer reports whether err is a v1 per-event result that
// refuses the event for good.
func droppedByServer(err error) bool {
	var ce *posthog.CaptureEventError
	return errors.As(err, &ce) && !ce.Exhausted && ce.Result == "drop"
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

// pendingFor finds the entry posthog-go reports on. An event that is no
// longer pending in gen, because a flush gave up on it, is ignored even if
// its UUID was queued again since. c.mu must be held.
func (c *Client) pendingFor(m posthog.APIMessage, gen *generation) *entry {
	var id string
	switch v := m.(type) {
	case posthog.CaptureInApi:
		id = v.Uuid
	case *posthog.CaptureInApi:
		id = v.Uuid
	default:
		return nil
	}
	if e := c.pending[id]; e != nil && e.gen == gen {
		return e
	}
	return nil
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
	next, err := c.newGeneration()
	if err != nil {
		c.genMu.Unlock()
		return err
	}
	c.gen = next
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
	c.rt.final.Store(true)
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
	c.stop()
	if t, ok := c.rt.base.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
	c.health.shutdown(c.Stats())
	return err
}

// drain closes gen and waits for its events, or for ctx to end. No event
// enters gen any more.
// The caller has counted the drain in c.drains while holding genMu, so that
// a Shutdown cannot miss a flush that has taken its generation.
func (c *Client) drain(ctx context.Context, gen *generation) error {
	defer c.drains.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.abort, cancel)()

	c.mu.Lock()
	gen.closing = true
	if gen.outstanding == 0 {
		close(gen.drained)
	}
	c.mu.Unlock()

	// Close the posthog-go client with a context that ends either with ctx
	// or as soon as every event is accounted for: posthog-go polls for idle
	// uploads every 100 ms, and nothing is left to wait for. Cancelling it
	// also cancels requests still in flight.
	closeCtx, cancel := context.WithCancel(ctx)
	stop := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		select {
		case <-gen.drained:
			cancel()
		case <-stop:
		}
	}()
	_ = gen.ph.CloseWithContext(closeCtx)
	close(stop)
	<-watcher
	cancel()

	var ctxErr error
	select {
	case <-gen.drained:
	default:
		// CloseWithContext returned before every outcome was in, which
		// happens only when ctx ended.
		select {
		case <-gen.drained:
		case <-ctx.Done():
			ctxErr = ctx.Err()
		}
	}

	// Whatever posthog-go still holds was cut off by the deadline: take it
	// now, and ignore the failure callbacks that may still come.
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
	if c.rt != nil {
		s.Retried = c.rt.retried.Load()
	}
	c.mu.Lock()
	s.Held = len(c.pending) + len(c.undelivered)
	c.mu.Unlock()
	return s
}

// debugWriter writes each event as one JSON line, exactly as posthog-go
// would put it in a batch.
type debugWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (d *debugWriter) write(ev Event) error {
	b, err := json.Marshal(wireForm(ev))
	if err != nil {
		return fmt.Errorf("posthog exporter: encoding event %q: %w", ev.Event, err)
	}
	b = append(b, '\n')
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err = d.w.Write(b)
	return err
}

// wireForm is the message posthog-go builds from ev with the Client's
// configuration: GeoIP on, not a server, no request context.
func wireForm(ev Event) posthog.APIMessage {
	m := toCapture(ev)
	props := posthog.NewProperties()
	for k, v := range ev.Properties {
		props[k] = v
	}
	m.Properties = props
	api := m.APIfy()
	if in, ok := api.(posthog.CaptureInApi); ok {
		p := make(posthog.Properties, len(in.Properties))
		for k, v := range in.Properties {
			p[k] = v
		}
		for _, k := range systemProperties {
			delete(p, k)
		}
		in.Properties = p
		return in
	}
	return api
}

// slogLogger adapts a *slog.Logger to posthog.Logger. Everything posthog-go
// says is logged at debug level: it logs per batch and warns at every close
// that runs past its first deadline even when nothing was lost, while the
// Client accounts for each event and logs only changes of state (see
// health).
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if s.l.Enabled(ctx, level) {
		s.l.Log(ctx, level, "posthog-go: "+fmt.Sprintf(format, args...))
	}
}

func (s slogLogger) Debugf(format string, args ...any) { s.log(slog.LevelDebug, format, args) }
func (s slogLogger) Logf(format string, args ...any)   { s.log(slog.LevelDebug, format, args) }
func (s slogLogger) Warnf(format string, args ...any)  { s.log(slog.LevelDebug, format, args) }
func (s slogLogger) Errorf(format string, args ...any) { s.log(slog.LevelDebug, format, args) }

// Ensure the HTTP transport is usable as one.
var _ http.RoundTripper = (*retryTransport)(nil)
