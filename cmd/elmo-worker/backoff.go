package main

import (
	"errors"
	"sync"
	"time"

	"github.com/elmohq/telemetry/internal/app/provider"
	"github.com/elmohq/telemetry/internal/app/store"
)

// maxBackoff caps the wait the worker chooses itself after repeated
// failures of a provider and model; a longer Retry-After is honoured (up
// to the provider package's own cap).
const maxBackoff = time.Hour

// backoff keeps, for each provider and model, when the worker may call it
// again after it answered 429 Too Many Requests or a 5xx: the longer of
// what its Retry-After asked and an exponential backoff, base after the
// first failure, doubling with each failure in a row, up to maxBackoff. A
// success ends it. Other failures (a bad key, an unknown model) are not
// slowed down: they are the person's to fix, and retrying them costs the
// provider nothing. A backoff is safe for concurrent use.
type backoff struct {
	base time.Duration
	now  func() time.Time

	mu    sync.Mutex
	state map[store.Target]*retryState
}

// retryState is the backoff of one provider and model.
type retryState struct {
	failures int       // in a row
	until    time.Time // no call before
}

func newBackoff(base time.Duration) *backoff {
	return &backoff{base: base, now: time.Now, state: make(map[store.Target]*retryState)}
}

// ready returns the targets that may be called now, and how many must
// wait.
func (b *backoff) ready(targets []store.Target) (run []store.Target, waiting int) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range targets {
		if s, ok := b.state[t]; ok && now.Before(s.until) {
			waiting++
			continue
		}
		run = append(run, t)
	}
	return run, waiting
}

// observe records the outcome of a call to t and returns how long t now
// waits: 0 after a success or a failure that is not slowed down.
func (b *backoff) observe(t store.Target, err error) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err == nil {
		delete(b.state, t)
		return 0
	}
	pe, ok := errors.AsType[*provider.Error](err)
	if !ok || (pe.Type != provider.TypeRateLimited && pe.Type != provider.TypeServerError) {
		return 0
	}
	s := b.state[t]
	if s == nil {
		s = &retryState{}
		b.state[t] = s
	}
	s.failures++
	wait := b.base
	for i := 1; i < s.failures && wait < maxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, maxBackoff)
	wait = max(wait, pe.RetryAfter)
	s.until = b.now().Add(wait)
	return wait
}
