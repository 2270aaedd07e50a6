package exporter_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// Send waits for each of its events and says which were not delivered, so
// that a caller with a queue of its own (the collector's exporter) can
// send them again or give them up.
func TestSend(t *testing.T) {
	tests := []struct {
		name          string
		respond       posthogtest.Response
		short         bool // a context that ends while the server fails
		wantErr       bool
		wantRejected  bool // errors.Is(err, ErrRejected)
		wantArrived   int
		wantUndeliv   int
		wantRejectedN int
	}{
		{name: "acknowledged", respond: posthogtest.Accept(), wantArrived: 3},
		{name: "refused for good", respond: posthogtest.Respond(http.StatusBadRequest), wantErr: true, wantRejected: true, wantRejectedN: 3},
		{name: "server down", respond: posthogtest.Respond(http.StatusServiceUnavailable), short: true, wantErr: true, wantUndeliv: 3},
	}
	for _, api := range captureAPIs {
		for _, tt := range tests {
			t.Run(api.String()+"/"+tt.name, func(t *testing.T) {
				srv := posthogtest.NewServer()
				defer srv.Close()
				srv.SetDefault(tt.respond)
				c := newClient(t, srv, exporter.WithCaptureAPI(api), exporter.WithMaxRetries(1))
				defer func() { _ = c.Shutdown(waitCtx(t)) }()

				ctx := waitCtx(t)
				if tt.short {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
					defer cancel()
				}
				evs := []exporter.Event{captureEvent("cli_version", 0), captureEvent("cli_version", 0), captureEvent("cli_version", 0)}
				err := c.Send(ctx, evs...)
				if (err != nil) != tt.wantErr {
					t.Fatalf("Send: %v, want error %v", err, tt.wantErr)
				}
				if got := errors.Is(err, exporter.ErrRejected); got != tt.wantRejected {
					t.Errorf("errors.Is(err, ErrRejected) = %v, want %v (%v)", got, tt.wantRejected, err)
				}
				var se *exporter.SendError
				if err != nil {
					if !errors.As(err, &se) {
						t.Fatalf("Send: %T %v, want a *SendError", err, err)
					}
					if len(se.Undelivered) != tt.wantUndeliv || se.Rejected != tt.wantRejectedN {
						t.Errorf("SendError: %d undelivered, %d rejected; want %d, %d", len(se.Undelivered), se.Rejected, tt.wantUndeliv, tt.wantRejectedN)
					}
				}
				if n := len(srv.Events()); n != tt.wantArrived {
					t.Errorf("%d events arrived, want %d", n, tt.wantArrived)
				}
				if s := c.Stats(); s.Held != 0 {
					t.Errorf("Stats().Held = %d after Send returned, want 0", s.Held)
				}

				// What was not delivered can be sent again, whole, once the
				// server is back; the UUIDs are kept.
				if se != nil && len(se.Undelivered) > 0 {
					srv.SetDefault(posthogtest.Accept())
					if err := c.Send(waitCtx(t), se.Undelivered...); err != nil {
						t.Fatalf("Send again: %v", err)
					}
					got := srv.Events()
					if len(got) != len(evs) {
						t.Fatalf("%d events arrived after recovery, want %d", len(got), len(evs))
					}
					for i := range got {
						if got[i].UUID != evs[i].UUID {
							t.Errorf("event %d arrived with UUID %s, want %s", i, got[i].UUID, evs[i].UUID)
						}
					}
				}
			})
		}
	}
}
