package exporter_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func TestNewBacklogValidates(t *testing.T) {
	c, err := exporter.NewClient(exporter.WithAPIKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, c)
	tests := []struct {
		name string
		next exporter.Sender
		max  int
	}{
		{"no sender", nil, 10},
		{"zero", c, 0},
		{"negative", c, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := exporter.NewBacklog(tt.next, tt.max); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

// A server that fails for a while and then recovers gets every event
// exactly once, in order: what the Backlog held first, then the events of
// the Send that found the server up.
func TestBacklogDeliversEachEventOnce(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.Script(posthogtest.Respond(503), posthogtest.Respond(503), posthogtest.Respond(503))
			c := newClient(t, srv, exporter.WithCaptureAPI(api), exporter.WithMaxRetries(0))
			defer shutdown(t, c)
			b, err := exporter.NewBacklog(c, 100)
			if err != nil {
				t.Fatal(err)
			}
			var sent []exporter.Event
			for i := range 4 {
				evs := []exporter.Event{captureEvent(fmt.Sprint("e", i, "a"), 0), captureEvent(fmt.Sprint("e", i, "b"), 0)}
				sent = append(sent, evs...)
				err := b.Send(waitCtx(t), evs...)
				if i < 3 {
					var se *exporter.SendError
					if !errors.As(err, &se) || len(se.Undelivered) != len(sent) {
						t.Fatalf("Send %d = %v, want the %d events so far undelivered", i, err, len(sent))
					}
					if b.Len() != len(sent) {
						t.Fatalf("after Send %d the backlog holds %d, want %d", i, b.Len(), len(sent))
					}
					continue
				}
				if err != nil {
					t.Fatalf("Send %d with the server up: %v", i, err)
				}
			}
			got := srv.Events()
			if len(got) != len(sent) {
				t.Fatalf("%d events arrived, want %d, each once: %v", len(got), len(sent), posthogtest.Names(got))
			}
			for i := range got {
				if got[i].UUID != sent[i].UUID {
					t.Errorf("event %d is %s, want %s: the backlog first, in order", i, got[i].Event, sent[i].Event)
				}
			}
			if b.Len() != 0 || b.Dropped() != 0 {
				t.Errorf("the backlog holds %d and dropped %d, want nothing", b.Len(), b.Dropped())
			}
			if st := c.Stats(); st.Delivered != uint64(len(sent)) || st.DeliveredLate != 6 || st.Dropped != 0 {
				t.Errorf("stats %+v, want %d delivered, 6 of them late, none dropped", st, len(sent))
			}
		})
	}
}

// Past its bound a Backlog lets the oldest events go: counted by the
// Backlog and in the Client's Stats, and recorded as DropBacklogFull.
func TestBacklogBound(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	var rec deliveryRecord
	c := newClient(t, srv, exporter.WithDeliveryRecord(rec.add))
	defer shutdown(t, c)
	b, err := exporter.NewBacklog(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	var evs []exporter.Event
	for i := range 5 {
		evs = append(evs, captureEvent(fmt.Sprint("e", i), 0))
	}
	b.Keep(evs[:2]...)
	b.Keep(evs[2:]...)
	if b.Len() != 3 || b.Dropped() != 2 {
		t.Fatalf("the backlog holds %d and dropped %d, want 3 and 2", b.Len(), b.Dropped())
	}
	if st := c.Stats(); st.Dropped != 2 {
		t.Errorf("Stats().Dropped = %d, want 2", st.Dropped)
	}
	rec.mu.Lock()
	var dropped []string
	for _, d := range rec.dropped {
		if d.Reason != exporter.DropBacklogFull {
			t.Errorf("%s dropped for %q, want %q", d.Event.Event, d.Reason, exporter.DropBacklogFull)
		}
		dropped = append(dropped, d.Event.Event)
	}
	rec.mu.Unlock()
	if !slices.Equal(dropped, []string{"e0", "e1"}) {
		t.Errorf("recorded %v dropped, want the oldest, e0 and e1", dropped)
	}
	if got := eventNames(b.Take()); !slices.Equal(got, []string{"e2", "e3", "e4"}) {
		t.Errorf("Take = %v, want the newest three in order", got)
	}
	if b.Len() != 0 {
		t.Errorf("the backlog holds %d after Take", b.Len())
	}
	if len(srv.Requests()) != 0 {
		t.Error("Keep and Take sent requests")
	}
}

// A Backlog holds only what can be sent again: not what the server
// refused for good.
func TestBacklogKeepsOnlyWhatCanBeSentAgain(t *testing.T) {
	tests := []struct {
		name     string
		api      exporter.CaptureAPI
		respond  posthogtest.Response
		wantHeld []string
	}{
		{"legacy 400", exporter.CaptureLegacy, posthogtest.Respond(400), nil},
		{"v1 per-event results", exporter.CaptureV1,
			posthogtest.Partial(posthogtest.ResultRetry, posthogtest.ResultOK, posthogtest.ResultDrop), []string{"a"}},
		{"legacy 503", exporter.CaptureLegacy, posthogtest.Respond(503), []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.Script(tt.respond)
			c := newClient(t, srv, exporter.WithCaptureAPI(tt.api), exporter.WithMaxRetries(0))
			defer shutdown(t, c)
			b, err := exporter.NewBacklog(c, 10)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Send(waitCtx(t), captureEvent("a", 0), captureEvent("b", 0), captureEvent("c", 0)); err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := eventNames(b.Take()); !slices.Equal(got, tt.wantHeld) {
				t.Errorf("the backlog holds %v, want %v", got, tt.wantHeld)
			}
		})
	}
}

// A Send whose context has ended returns every event undelivered without
// a request; a Backlog keeps them all.
func TestSendCancelledContext(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	defer shutdown(t, c)
	b, err := exporter.NewBacklog(c, 10)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	evs := []exporter.Event{captureEvent("a", 0), captureEvent("b", 0)}
	for _, s := range []exporter.Sender{c, b} {
		err := s.Send(ctx, evs...)
		var se *exporter.SendError
		if !errors.As(err, &se) || !errors.Is(err, context.Canceled) || len(se.Undelivered) != len(evs) {
			t.Errorf("%T.Send = %v, want every event undelivered and context.Canceled", s, err)
		}
	}
	if got := eventNames(b.Take()); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("the backlog holds %v, want [a b]", got)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests with a cancelled context, want none", n)
	}
}

// senderFunc is a Sender that is not a Client.
type senderFunc func(context.Context, ...exporter.Event) error

func (f senderFunc) Send(ctx context.Context, evs ...exporter.Event) error { return f(ctx, evs...) }

// A Backlog works in front of any Sender: it hands the held events first
// and counts what it lets go itself.
func TestBacklogOverAnySender(t *testing.T) {
	var calls [][]string
	fail := true
	s := senderFunc(func(_ context.Context, evs ...exporter.Event) error {
		calls = append(calls, eventNames(evs))
		if fail {
			return &exporter.SendError{Undelivered: evs, Err: errors.New("down")}
		}
		return nil
	})
	b, err := exporter.NewBacklog(s, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := waitCtx(t)
	_ = b.Send(ctx, captureEvent("a", 0), captureEvent("b", 0))
	_ = b.Send(ctx, captureEvent("c", 0))
	fail = false
	if err := b.Send(ctx, captureEvent("d", 0)); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "b"}, {"a", "b", "c"}, {"b", "c", "d"}}
	if !slices.EqualFunc(calls, want, slices.Equal[[]string]) {
		t.Errorf("the sender got %v, want %v", calls, want)
	}
	if b.Dropped() != 1 || b.Len() != 0 {
		t.Errorf("dropped %d, holds %d; want 1 and 0", b.Dropped(), b.Len())
	}
	// A Send with nothing held and nothing new calls nothing.
	if err := b.Send(ctx); err != nil || len(calls) != 3 {
		t.Errorf("an empty Send = %v after %d calls, want nil and no call", err, len(calls))
	}
}
