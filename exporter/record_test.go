package exporter_test

import (
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// deliveryRecord collects what a Client reports to WithDeliveryRecord.
type deliveryRecord struct {
	mu      sync.Mutex
	sent    []exporter.Sent
	dropped []exporter.Drop
}

func (r *deliveryRecord) add(sent []exporter.Sent, dropped []exporter.Drop) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, sent...)
	r.dropped = append(r.dropped, dropped...)
}

// The delivery record gets every acknowledged event exactly as the server
// received it, once, and every event refused for good with its reason;
// with either capture API, on the first attempt, after a retry, and when
// the server refuses the batch.
func TestDeliveryRecord(t *testing.T) {
	for _, api := range captureAPIs {
		for _, tc := range []struct {
			name     string
			script   []posthogtest.Response
			accepted bool
		}{
			{"accepted", nil, true},
			{"accepted after a 503", []posthogtest.Response{posthogtest.Respond(503)}, true},
			{"refused with 400", []posthogtest.Response{posthogtest.Respond(400)}, false},
		} {
			t.Run(api.String()+"/"+tc.name, func(t *testing.T) {
				srv := posthogtest.NewServer()
				defer srv.Close()
				srv.Script(tc.script...)
				var rec deliveryRecord
				c := newClient(t, srv, exporter.WithCaptureAPI(api), exporter.WithDeliveryRecord(rec.add))
				defer shutdown(t, c)
				evs := []exporter.Event{captureEvent("cli_version", 0), captureEvent("cli_init", 10)}
				// The record is complete when Send returns.
				_ = c.Send(waitCtx(t), evs...)

				rec.mu.Lock()
				defer rec.mu.Unlock()
				if !tc.accepted {
					if len(rec.sent) != 0 || len(rec.dropped) != len(evs) {
						t.Fatalf("recorded %d sent, %d dropped; want 0 and %d", len(rec.sent), len(rec.dropped), len(evs))
					}
					for _, d := range rec.dropped {
						if d.Reason != exporter.DropRefused || !slices.ContainsFunc(evs, func(e exporter.Event) bool { return e.UUID == d.Event.UUID }) {
							t.Errorf("dropped %s for %q; want one of the events, refused", d.Event.UUID, d.Reason)
						}
					}
					return
				}
				wire := srv.Wire()
				if len(wire) != len(evs) || len(rec.sent) != len(evs) || len(rec.dropped) != 0 {
					t.Fatalf("server accepted %d events, record has %d sent and %d dropped; want %d, %d, 0",
						len(wire), len(rec.sent), len(rec.dropped), len(evs), len(evs))
				}
				for _, s := range rec.sent {
					if got, want := string(s.Wire), wire[s.UUID]; got != want {
						t.Errorf("recorded %s as\n%s\nthe server received\n%s", s.UUID, got, want)
					}
				}
			})
		}
	}
}

// With debug output nothing is sent, and nothing is recorded.
func TestDeliveryRecordDebug(t *testing.T) {
	var rec deliveryRecord
	c, err := exporter.NewClient(exporter.WithDebug(io.Discard), exporter.WithDeliveryRecord(rec.add))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(waitCtx(t), captureEvent("cli_version", 0)); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(waitCtx(t)); err != nil {
		t.Fatal(err)
	}
	if len(rec.sent)+len(rec.dropped) != 0 {
		t.Errorf("debug output recorded %d sent and %d dropped, want none", len(rec.sent), len(rec.dropped))
	}
}
