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
// Client open, however many batches are ready; the others wait without a
// connection, and Shutdown ends them all within its deadline, with every
// event accounted for as undelivered.
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
			var hook undeliveredHook
			c, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey(testKey),
				exporter.WithBatchSize(1), exporter.WithTransport(counter), exporter.WithMaxUploads(maxUploads),
				exporter.WithUndelivered(hook.add))
			if err != nil {
				t.Fatal(err)
			}
			const batches = 20
			for range batches {
				c.Enqueue(captureEvent("a", 0))
			}
			for range maxUploads {
				<-counter.started // the slots fill up
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			var ue *exporter.UndeliveredError
			if err := c.Shutdown(ctx); !errors.As(err, &ue) || len(ue.Events) != batches {
				t.Fatalf("Shutdown: %v, want %d undelivered", err, batches)
			}
			counter.mu.Lock()
			defer counter.mu.Unlock()
			if counter.maxOpen > maxUploads {
				t.Errorf("%d requests open at once, want at most %d", counter.maxOpen, maxUploads)
			}
			if got := len(hook.got()); got != batches {
				t.Errorf("the undelivered hook got %d events, want %d", got, batches)
			}
		})
	}
}

// Once Shutdown returns, the Client has no goroutine left, whether the
// server answered, never answered or dropped the connections, and every
// event is accounted for.
func TestShutdownLeavesNoGoroutines(t *testing.T) {
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
				base := http.DefaultTransport.(*http.Transport).Clone()
				c, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey(testKey),
					exporter.WithCaptureAPI(api), exporter.WithBatchSize(1), exporter.WithTransport(base),
					exporter.WithFlushInterval(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				for range 50 {
					c.Enqueue(captureEvent("a", 0))
				}
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				_ = c.Shutdown(ctx)
				if st := c.Stats(); st.Delivered+st.Undelivered != 50 || st.Held != 0 {
					t.Errorf("stats %+v, want all 50 events accounted for and none held", st)
				}
				base.CloseIdleConnections()
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
			var hook undeliveredHook
			c := newClient(t, srv, exporter.WithCaptureAPI(api), exporter.WithUndelivered(hook.add))
			c.Enqueue(captureEvent("huge", 600_000), captureEvent("small", 0))
			shutdown(t, c)
			if got := posthogtest.Names(srv.Events()); len(got) != 1 || got[0] != "small" {
				t.Errorf("accepted %v, want only small", got)
			}
			if st := c.Stats(); st.Rejected != 1 || st.Delivered != 1 {
				t.Errorf("stats %+v, want 1 rejected and 1 delivered", st)
			}
			if n := len(hook.got()); n != 0 {
				t.Errorf("%d events reported undelivered, want none", n)
			}
		})
	}
}
