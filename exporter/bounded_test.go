package exporter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// openCounter is the HTTP transport under a Client, counting the requests
// it has open at once on real connections.
type openCounter struct {
	base    http.RoundTripper
	mu      sync.Mutex
	open    int
	maxOpen int
	started chan struct{} // receives once per request that reaches a socket
}

func (o *openCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	o.mu.Lock()
	o.open++
	o.maxOpen = max(o.maxOpen, o.open)
	o.mu.Unlock()
	o.started <- struct{}{}
	defer func() {
		o.mu.Lock()
		o.open--
		o.mu.Unlock()
	}()
	return o.base.RoundTrip(r)
}

func (o *openCounter) CloseIdleConnections() {
	o.base.(interface{ CloseIdleConnections() }).CloseIdleConnections()
}

// A server that never answers holds at most WithMaxUploads requests of a
// Send open, however many batches it has; the others wait without a
// connection, and the Send's context ends them all, with every event
// returned undelivered.
func TestHangingServerBoundsOpenRequests(t *testing.T) {
	for _, maxUploads := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("max=%d", maxUploads), func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.SetDefault(posthogtest.Hang())
			counter := &openCounter{
				base:    http.DefaultTransport.(*http.Transport).Clone(),
				started: make(chan struct{}, 100),
			}
			c, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey(testKey),
				exporter.WithBatchSize(1), exporter.WithTransport(counter), exporter.WithMaxUploads(maxUploads))
			if err != nil {
				t.Fatal(err)
			}
			defer shutdown(t, c)
			const batches = 20
			var evs []exporter.Event
			for range batches {
				evs = append(evs, captureEvent("a", 0))
			}
			// The deadline only ends the Send; nothing is measured by it.
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			err = c.Send(ctx, evs...)
			var se *exporter.SendError
			if !errors.As(err, &se) || len(se.Undelivered) != batches || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Send: %v, want %d undelivered at the deadline", err, batches)
			}
			counter.mu.Lock()
			defer counter.mu.Unlock()
			if counter.maxOpen > maxUploads {
				t.Errorf("%d requests open at once, want at most %d", counter.maxOpen, maxUploads)
			}
			// The waiting batches were never sent once the context ended.
			if n := len(counter.started); n != maxUploads {
				t.Errorf("%d requests were made, want %d: one per upload slot", n, maxUploads)
			}
			if st := c.Stats(); st.Undelivered != batches || st.Delivered != 0 {
				t.Errorf("stats %+v, want %d undelivered", st, batches)
			}
		})
	}
}

// Once Send returns, nothing of it runs any more, whether the server
// answered, never answered or dropped the connections: no goroutine is
// left once Shutdown has closed the idle connections, and every event is
// accounted for.
func TestSendLeavesNoGoroutines(t *testing.T) {
	for _, api := range captureAPIs {
		for _, tc := range []struct {
			name string
			resp posthogtest.Response
		}{
			{"answers", posthogtest.Accept()},
			{"hangs", posthogtest.Hang()},
			{"closes the connection", posthogtest.CloseConnection()},
		} {
			t.Run(api.String()+"/"+tc.name, func(t *testing.T) {
				srv := posthogtest.NewServer()
				srv.SetDefault(tc.resp)
				// The server's and this test's goroutines are not the
				// Client's.
				defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
				defer srv.Close()
				c, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey(testKey),
					exporter.WithCaptureAPI(api), exporter.WithBatchSize(1), exporter.WithMaxUploads(4))
				if err != nil {
					t.Fatal(err)
				}
				var evs []exporter.Event
				for range 50 {
					evs = append(evs, captureEvent("a", 0))
				}
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				_ = c.Send(ctx, evs...)
				if st := c.Stats(); st.Delivered+st.Undelivered != 50 {
					t.Errorf("stats %+v, want all 50 events accounted for", st)
				}
				shutdown(t, c)
			})
		}
	}
}

// An event larger than the capture API takes is refused at once, without
// a request, and counted; the others go.
func TestOversizedEventIsRejected(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			srv := posthogtest.NewServer(posthogtest.WithMaxBodySize(2 << 20))
			defer srv.Close()
			c := newClient(t, srv, exporter.WithCaptureAPI(api))
			defer shutdown(t, c)
			err := c.Send(waitCtx(t), captureEvent("huge", 600_000), captureEvent("small", 0))
			var se *exporter.SendError
			if !errors.As(err, &se) || !errors.Is(err, exporter.ErrRejected) || se.Rejected != 1 || len(se.Undelivered) != 0 {
				t.Errorf("Send = %v, want the huge event refused and nothing undelivered", err)
			}
			if got := posthogtest.Names(srv.Events()); len(got) != 1 || got[0] != "small" {
				t.Errorf("accepted %v, want only small", got)
			}
			if st := c.Stats(); st.Rejected != 1 || st.Delivered != 1 {
				t.Errorf("stats %+v, want 1 rejected and 1 delivered", st)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1: the huge event is never sent", n)
			}
		})
	}
}
