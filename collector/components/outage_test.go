package components_test

import (
	"io/fs"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// cliSpans returns n cli_version spans of one install, each its own
// event.
func cliSpans(n int) tracetest.SpanStubs {
	spans := make(tracetest.SpanStubs, n)
	for i := range spans {
		spans[i] = spanStub("cli_version", cliResource(), false, attribute.Int("exit_code", 0))
	}
	return spans
}

// queueBytes is the size of the files under dir.
func queueBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// With PostHog down, the gateway keeps accepting OTLP and holds the events
// on disk; stopped and started again on the same queue directory, it
// delivers each of them exactly once when PostHog is back. Past the
// queue's bound, what does not fit is dropped rather than held.
func TestGatewayOutage(t *testing.T) {
	tests := []struct {
		name                    string
		queueSize               int // events; 0 keeps config.yaml's default
		sent                    int
		wantAtLeast, wantAtMost int
		wantRefused             float64 // spans the queue refused, by the Collector's own count
	}{
		{name: "within the bound", sent: 60, wantAtLeast: 60, wantAtMost: 60},
		// The first 10 events are held; the next 50 do not fit in a queue
		// of 20 and are dropped (the batch processor hands the exporter
		// one batch, refused whole), never held beyond the bound.
		{name: "past the bound", queueSize: 20, sent: 60, wantAtLeast: 10, wantAtMost: 10, wantRefused: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.SetDefault(posthogtest.Respond(http.StatusServiceUnavailable))
			var extra []string
			if tt.queueSize > 0 {
				extra = []string{"ELMO_COLLECTOR_QUEUE_SIZE", strconv.Itoa(tt.queueSize)}
			}

			g := startGateway(t, srv, "", extra...)
			// Every OTLP request is accepted while PostHog is down: 10
			// events, which the gateway tries to deliver, then 50 more.
			spans := cliSpans(tt.sent)
			viaOTLP(t, g.Endpoint, spans[:10], nil)
			if _, err := srv.WaitForRequests(waitCtx(t), 1); err != nil {
				t.Fatal(err)
			}
			viaOTLP(t, g.Endpoint, spans[10:], nil)
			if tt.wantRefused > 0 {
				// The batch processor hands the 50 on within its timeout; look
				// until the exporter's queue has counted them refused.
				ctx := waitCtx(t)
				tick := time.NewTicker(20 * time.Millisecond)
				for g.metric(t, "otelcol_exporter_enqueue_failed_spans") < tt.wantRefused {
					select {
					case <-ctx.Done():
						t.Fatalf("the queue refused %v spans, want %v", g.metric(t, "otelcol_exporter_enqueue_failed_spans"), tt.wantRefused)
					case <-tick.C:
					}
				}
				tick.Stop()
			}
			g.Stop(t)
			if n := len(srv.Events()); n != 0 {
				t.Fatalf("%d events accepted while PostHog was down", n)
			}
			if n := queueBytes(t, g.QueueDir); n == 0 {
				t.Fatalf("nothing held on disk in %s", g.QueueDir)
			}

			srv.SetDefault(posthogtest.Accept())
			g = startGateway(t, srv, g.QueueDir, extra...)
			if _, err := srv.WaitForEvents(waitCtx(t), tt.wantAtLeast); err != nil {
				t.Fatal(err)
			}
			g.Stop(t)
			evs := srv.Events()

			want := make(map[string]bool, len(spans))
			for _, s := range spans {
				sc := s.SpanContext
				want[spanUUID(sc.TraceID(), sc.SpanID())] = true
			}
			seen := make(map[string]int)
			for _, e := range evs {
				if !want[e.UUID] {
					t.Errorf("event %s %s was not sent", e.Event, e.UUID)
				}
				seen[e.UUID]++
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("event %s delivered %d times", id, n)
				}
			}
			if len(seen) < tt.wantAtLeast || len(seen) > tt.wantAtMost {
				t.Errorf("%d events delivered after recovery, want %d to %d", len(seen), tt.wantAtLeast, tt.wantAtMost)
			}
		})
	}
}
