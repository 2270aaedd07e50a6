package exporter

import (
	"context"
	"log/slog"
	"sync"
)

// health follows whether PostHog can be reached and logs only its changes:
// one line when capture becomes unreachable, with the reason, and one when
// it recovers, with how many events were delivered late and how many were
// lost meanwhile. Nothing is logged per request or per batch.
type health struct {
	log  *slog.Logger
	lost func() uint64 // events dropped, rejected or undelivered so far

	mu        sync.Mutex
	down      bool
	late      int    // events delivered after a failed attempt since down
	lostAtDwn uint64 // lost() when capture went down
}

// failed records an attempt that did not reach the server, or that the
// server could not take (5xx, 408, 429).
func (h *health) failed(err error) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return
	}
	h.down, h.late, h.lostAtDwn = true, 0, h.lost()
	h.log.Warn("telemetry: cannot reach PostHog; events are kept and retried", "reason", err.Error())
}

// ok records a request that the server answered with success, delivering n
// events, after failed attempts if afterFailure.
func (h *health) ok(n int, afterFailure bool) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return
	}
	if afterFailure {
		h.late += n
	}
	h.down = false
	h.log.Info("telemetry: PostHog is reachable again",
		"delivered_late", h.late, "dropped", h.lost()-h.lostAtDwn)
}

// reached records an answer from the server that is not a success but
// shows that it is up (a 4xx that retrying cannot fix).
func (h *health) reached() { h.ok(0, false) }

// shutdown logs, at the end of a Client, how many events were lost, only
// when some were.
func (h *health) shutdown(s Stats) {
	if h == nil {
		return
	}
	lost := s.Dropped + s.Rejected + s.Undelivered
	if lost == 0 || !h.log.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	h.log.Warn("telemetry: events were not delivered",
		"undelivered", s.Undelivered, "dropped", s.Dropped, "rejected", s.Rejected, "delivered", s.Delivered)
}
