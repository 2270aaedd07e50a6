package exporter

import (
	"context"
	"log/slog"
	"sync"
)

// health follows whether PostHog can be reached and logs only its changes:
// one line when capture becomes unreachable, with the reason, and one when
// it recovers, with how many events were delivered late and how many were
// really lost meanwhile (dropped or refused for good; events returned to
// the caller to send again are neither). Nothing is logged per request or
// per batch.
type health struct {
	log  *slog.Logger
	lost func() uint64 // events the Client gave up on for good so far

	mu       sync.Mutex
	down     bool
	answered bool   // the server answered since it went down
	late     uint64 // events delivered late since it went down
	lostDown uint64 // lost() when it went down
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
		h.answered = false
		return
	}
	h.down, h.answered, h.late, h.lostDown = true, false, 0, h.lost()
	h.log.Warn("telemetry: cannot reach PostHog; events are kept and sent again", "reason", err.Error())
}

// reached records an answer from the server that shows it is up: a
// success, or a refusal that retrying cannot fix.
func (h *health) reached() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		h.answered = true
	}
}

// settled ends a Send that delivered late events late. When the server
// has answered since it went down, capture is back: one line says so.
func (h *health) settled(late uint64) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return
	}
	h.late += late
	if !h.answered {
		return
	}
	h.down = false
	h.log.Info("telemetry: PostHog is reachable again",
		"delivered_late", h.late, "dropped", h.lost()-h.lostDown)
}

// shutdown logs, at the end of a Client, how many events were lost, only
// when some were.
func (h *health) shutdown(s Stats) {
	if h == nil {
		return
	}
	lost := s.Dropped + s.Rejected
	if lost == 0 || !h.log.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	h.log.Warn("telemetry: events were not delivered",
		"dropped", s.Dropped, "rejected", s.Rejected, "delivered", s.Delivered)
}
