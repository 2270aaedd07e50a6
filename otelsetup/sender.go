package otelsetup

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/internal/pipeline/configfile"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
	"github.com/elmohq/telemetry/internal/pipeline/detach"
	"github.com/elmohq/telemetry/internal/pipeline/sentlog"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
)

// SenderArg is the one argument with which the elmo CLI starts itself as
// the background sender of its spool (see WithSenderCommand and
// RunSender). It is not a command a person types, and help lists it
// nowhere.
const SenderArg = "__send-telemetry"

// DefaultSenderDeadline bounds the whole run of a background sender:
// long enough for a few round trips to a capture host on another
// continent and a few retries, short enough that no process of Elmo's
// lingers after a command.
const DefaultSenderDeadline = 30 * time.Second

// senderLockWait bounds how long a sender waits for the lock that the
// command which started it holds while it starts it.
const senderLockWait = 2 * time.Second

// senderRetryMax caps the wait between two rounds of a sender whose
// events were not delivered.
const senderRetryMax = 8 * time.Second

// senderFileReserve is the part of a sender's deadline kept for
// rewriting the spool and the log after its last delivery.
const senderFileReserve = time.Second

// RunSender is the background sender of a CLI's spool: the process that
// Shutdown starts (WithSenderCommand) once a command has written its
// events to the spool, so that the command never waits on the network.
// It takes the same options as Start.
//
// RunSender returns at once, having sent nothing, when another sender
// holds the spool's lock. Otherwise it decides consent again (an opt-out
// made since the command ran deletes the spool and sends nothing), checks
// every line against the catalog again, delivers the events with the
// capture API's rules (retries with backoff and Retry-After, 413 splits,
// either capture API), removes from the spool what PostHog acknowledged or
// refused for good, and records it in the telemetry log. It goes on while
// commands add lines, and returns when the spool is empty or at its
// deadline (WithSenderDeadline), leaving what is left for the next
// sender. It never prints and never prompts.
//
// A line can reach PostHog twice: when the sender is killed after PostHog
// received a request and before the spool was rewritten, the next sender
// sends the same events again. They keep their UUIDs, and PostHog keeps
// one event per UUID.
func RunSender(ctx context.Context, opts ...Option) error {
	cfg, err := newConfig(opts)
	if err != nil {
		return err
	}
	if cfg.role != RoleCLI || cfg.spoolPath == "" {
		return errors.New("otelsetup: only a CLI with a spool has a background sender")
	}
	if spoolEmpty(cfg.spoolPath) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.senderDeadline)
	defer cancel()

	lock := spool.NewSenderLock(cfg.spoolPath)
	lockCtx, cancelLock := context.WithTimeout(ctx, senderLockWait)
	ok, err := lock.LockContext(lockCtx, 5*time.Millisecond)
	cancelLock()
	if err != nil || !ok {
		// Another sender delivers the spool, the new lines included.
		return err
	}
	s := &backgroundSender{cfg: cfg}
	for {
		_ = lock.SetPID(os.Getpid())
		s.run(ctx)
		_ = lock.SetPID(0)
		_ = lock.Unlock()
		// A command that added lines while this sender held the lock did
		// not start another: look once more now that it is released.
		if ctx.Err() != nil || s.stopped || spoolEmpty(cfg.spoolPath) {
			return nil
		}
		if ok, err := lock.TryLock(); err != nil || !ok {
			return err
		}
	}
}

// spoolEmpty reports whether no spool file with content is at path.
func spoolEmpty(path string) bool {
	fi, err := os.Stat(path)
	return err != nil || fi.Size() == 0
}

// backgroundSender is one run of RunSender.
type backgroundSender struct {
	cfg     config
	client  *exporter.Client
	log     *sentlog.Log
	stopped bool // consent or settings say nothing may be sent
}

// run delivers the spool until it is empty, nothing may be sent, or ctx
// ends.
func (s *backgroundSender) run(ctx context.Context) {
	cfg := s.cfg
	deadline, _ := ctx.Deadline()
	sendCtx, cancel := context.WithDeadline(ctx, deadline.Add(-senderFileReserve))
	defer cancel()
	wait := time.Second
	for sendCtx.Err() == nil {
		d := consent.ForCLI(cfg.getenv, configfile.New(cfg.configPath))
		if !d.Enabled {
			if d.OptedOut() && d.Source != consent.SourceError {
				// The person opted out after the command ran: what it
				// recorded is never sent.
				_ = spool.Remove(cfg.spoolPath)
			}
			s.stopped = true
			return
		}
		if s.client == nil && !s.newClient() {
			s.stopped = true
			return
		}
		events, dropped, err := spool.Read(cfg.spoolPath, cfg.policy)
		if err != nil {
			s.stopped = true
			return
		}
		if len(events) == 0 {
			if dropped > 0 {
				s.rewrite(ctx, nil, true)
			}
			return
		}
		sendErr := s.client.Send(sendCtx, events...)
		var undelivered []exporter.Event
		var se *exporter.SendError
		if errors.As(sendErr, &se) {
			undelivered = se.Undelivered
		}
		s.rewrite(ctx, resolved(events, undelivered), dropped > 0)
		if len(undelivered) == 0 {
			wait = time.Second
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-sendCtx.Done():
			timer.Stop()
			return
		}
		wait = min(2*wait, senderRetryMax)
	}
}

// newClient makes the sender's PostHog client from the settings, and
// reports whether it could: without a key, or with a setting the build
// refuses, nothing is sent and the spool waits.
func (s *backgroundSender) newClient() bool {
	cfg := s.cfg
	if cfg.debug() {
		return false
	}
	opts, err := cfg.captureOptions()
	if err != nil || opts == nil {
		return false
	}
	if cfg.sentLog != "" {
		if log, err := sentlog.New(cfg.sentLog); err == nil {
			s.log = log
			opts = append(opts, exporter.WithDeliveryRecord(log.Add))
		}
	}
	c, err := exporter.NewClient(opts...)
	if err != nil {
		return false
	}
	s.client = c
	return true
}

// rewrite takes the events that are done out of the spool and writes the
// telemetry log, within what is left of ctx's deadline even when ctx has
// ended.
func (s *backgroundSender) rewrite(ctx context.Context, done []exporter.Event, dropLines bool) {
	fileCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), senderFileReserve)
	if dl, ok := ctx.Deadline(); ok {
		cancel()
		fileCtx, cancel = context.WithDeadline(context.WithoutCancel(ctx), dl)
	}
	defer cancel()
	if d := consent.ForCLI(s.cfg.getenv, configfile.New(s.cfg.configPath)); !d.Enabled {
		// An opt-out while the events were on their way: the spool and
		// the log it deleted stay deleted.
		s.stopped = true
		return
	}
	_ = spool.Update(fileCtx, s.cfg.spoolPath, s.cfg.policy, done, nil, dropLines)
	if s.log != nil {
		_ = s.log.Write(fileCtx)
	}
}

// resolved returns the events of sent that are not in undelivered: those
// PostHog acknowledged or refused for good.
func resolved(sent, undelivered []exporter.Event) []exporter.Event {
	if len(undelivered) == 0 {
		return sent
	}
	left := make(map[string]bool, len(undelivered))
	for _, ev := range undelivered {
		left[ev.UUID] = true
	}
	return slices.DeleteFunc(slices.Clone(sent), func(ev exporter.Event) bool { return left[ev.UUID] })
}

// spoolSink is the Sender of a CLI's exporters: it keeps the command's
// events in memory for Shutdown to write to the spool, and never opens a
// connection.
type spoolSink struct {
	mu     sync.Mutex
	events []exporter.Event
}

var _ exporter.Sender = (*spoolSink)(nil)

// Send keeps events, up to the spool's cap.
func (k *spoolSink) Send(_ context.Context, events ...exporter.Event) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.events = append(k.events, events...)
	if n := len(k.events) - spool.MaxEvents; n > 0 {
		k.events = slices.Delete(k.events, 0, n)
	}
	return nil
}

// take returns the events kept and forgets them.
func (k *spoolSink) take() []exporter.Event {
	k.mu.Lock()
	defer k.mu.Unlock()
	evs := k.events
	k.events = nil
	return evs
}

// startSender starts the background sender when the spool holds events
// and none runs. It takes the sender's lock while it starts the process,
// so that commands ending together start one sender, and records the
// process's ID; the sender takes the lock once this command lets it go.
// A sender that cannot start leaves the events in the spool, and the
// command exits as it would have.
func (t *Telemetry) startSender() {
	cfg := t.cfg
	if len(cfg.sender) == 0 || spoolEmpty(cfg.spoolPath) {
		return
	}
	lock := spool.NewSenderLock(cfg.spoolPath)
	ok, err := lock.TryLock()
	if err != nil || !ok {
		return
	}
	defer func() { _ = lock.Unlock() }()
	if _, alive := lock.PID(); alive {
		// Started by another command a moment ago, and about to take
		// the lock.
		return
	}
	p, err := detach.Start(cfg.sender[0], cfg.sender[1:])
	if err != nil {
		cfg.logger.Debug("cannot start the telemetry sender", "error", err)
		return
	}
	_ = lock.SetPID(p.Pid())
	_ = p.Release()
}
