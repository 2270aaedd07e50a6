package exporter_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
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

// An event whose UUID appears more than once in one Send is sent once.
func TestSendDuplicateUUIDs(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			c := newClient(t, srv, exporter.WithCaptureAPI(api))
			defer shutdown(t, c)
			a, b := captureEvent("a", 0), captureEvent("b", 0)
			if err := c.Send(waitCtx(t), a, b, a, a); err != nil {
				t.Fatal(err)
			}
			if got := posthogtest.Names(srv.Events()); !slices.Equal(got, []string{"a", "b"}) {
				t.Errorf("the server has %v, want [a b]", got)
			}
			if st := c.Stats(); st.Delivered != 2 {
				t.Errorf("stats %+v, want 2 delivered", st)
			}
		})
	}
}

// An event without a name, a distinct ID or a UUID can never be sent: it
// is dropped and counted, not returned to send again, and the others go.
func TestSendDropsIncompleteEvents(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	defer shutdown(t, c)
	noID := captureEvent("no_id", 0)
	noID.DistinctID = ""
	noName := captureEvent("", 0)
	noUUID := captureEvent("no_uuid", 0)
	noUUID.UUID = ""
	err := c.Send(waitCtx(t), noID, captureEvent("ok", 0), noName, noUUID)
	var se *exporter.SendError
	if !errors.As(err, &se) || !errors.Is(err, exporter.ErrRejected) || len(se.Undelivered) != 0 {
		t.Fatalf("Send = %v, want ErrRejected with nothing undelivered", err)
	}
	if got := posthogtest.Names(srv.Events()); !slices.Equal(got, []string{"ok"}) {
		t.Errorf("the server has %v, want [ok]", got)
	}
	if st := c.Stats(); st.Dropped != 3 || st.Delivered != 1 {
		t.Errorf("stats %+v, want 3 dropped and 1 delivered", st)
	}
}

// After Shutdown, Send sends nothing and returns its events undelivered,
// with ErrClosed; Shutdown may be called again.
func TestSendAfterShutdown(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	shutdown(t, c)
	shutdown(t, c)
	evs := []exporter.Event{captureEvent("a", 0), captureEvent("b", 0)}
	err := c.Send(waitCtx(t), evs...)
	var se *exporter.SendError
	if !errors.As(err, &se) || !errors.Is(err, exporter.ErrClosed) || len(se.Undelivered) != len(evs) {
		t.Fatalf("Send after Shutdown = %v, want both events undelivered and ErrClosed", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after Shutdown, want none", n)
	}
}

// A Send of nothing makes no request.
func TestSendNothing(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	defer shutdown(t, c)
	if err := c.Send(waitCtx(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

// Events a Send returned undelivered and a later Send delivered are
// counted as delivered late; so are events delivered by a retry within
// one Send. Events delivered at the first attempt are not.
func TestDeliveredLate(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, exporter.WithMaxRetries(1))
	defer shutdown(t, c)
	ctx := waitCtx(t)

	if err := c.Send(ctx, captureEvent("on_time", 0)); err != nil {
		t.Fatal(err)
	}
	srv.Script(posthogtest.Respond(503), posthogtest.Respond(503))
	evs := []exporter.Event{captureEvent("a", 0), captureEvent("b", 0)}
	var se *exporter.SendError
	if err := c.Send(ctx, evs...); !errors.As(err, &se) || len(se.Undelivered) != 2 {
		t.Fatalf("Send = %v, want both undelivered", err)
	}
	if err := c.Send(ctx, se.Undelivered...); err != nil {
		t.Fatal(err)
	}
	srv.Script(posthogtest.Respond(503))
	if err := c.Send(ctx, captureEvent("retried", 0)); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Delivered != 4 || st.DeliveredLate != 3 || st.Undelivered != 2 {
		t.Errorf("stats %+v, want 4 delivered, 3 of them late, 2 returned undelivered on the way", st)
	}
}

// A SendError carries the server's Retry-After, for a caller that retries
// on its own.
func TestSendErrorRetryAfter(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.Script(posthogtest.RespondRetryAfter(503, 7*time.Second))
			c := newClient(t, srv, exporter.WithCaptureAPI(api), exporter.WithMaxRetries(0))
			defer shutdown(t, c)
			err := c.Send(waitCtx(t), captureEvent("a", 0))
			var se *exporter.SendError
			if !errors.As(err, &se) || se.RetryAfter != 7*time.Second {
				t.Fatalf("Send = %v, want a SendError with RetryAfter 7s", err)
			}
		})
	}
}

// A v1 answer of 200 whose body is not the results JSON is taken as the
// acknowledgement it is: Send reports the events delivered and sends them
// once, so a caller that keeps undelivered events does not send them
// again and again.
func TestV1UnreadableSuccessIsAnAcknowledgement(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<html>ok</html>"))
	}))
	defer srv.Close()
	var sent []exporter.Sent
	c, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey(testKey),
		exporter.WithCaptureAPI(exporter.CaptureV1),
		exporter.WithDeliveryRecord(func(s []exporter.Sent, _ []exporter.Drop) { sent = append(sent, s...) }))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, c)
	if err := c.Send(waitCtx(t), captureEvent("a", 0), captureEvent("b", 0)); err != nil {
		t.Fatalf("Send = %v, want nil", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if st := c.Stats(); st.Delivered != 2 || st.Undelivered != 0 || len(sent) != 2 {
		t.Errorf("stats %+v, %d recorded as sent; want 2 delivered and recorded", st, len(sent))
	}
}
