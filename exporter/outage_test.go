package exporter_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// A deployment service never flushes between start and shutdown. After an
// outage longer than its queue, the failed events it holds must not block
// new events once the server is back, and what it holds stays bounded.
func TestEventsFlowAgainAfterAnOutageLongerThanTheQueue(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.SetDefault(posthogtest.Respond(503))
	const queue = 4
	c := newClient(t, srv,
		exporter.WithQueueSize(queue),
		exporter.WithBatchSize(1),
		exporter.WithMaxRetries(0),
		exporter.WithFlushInterval(5*time.Millisecond))

	// Three queues' worth of events fail, one at a time.
	for i := range 3 * queue {
		export(t, c, span(fmt.Sprint("outage", i), cliResource()))
		waitFor(t, func() bool { return c.Stats().Undelivered == uint64(i+1) })
	}
	if st := c.Stats(); st.Dropped != 2*queue || st.Held != queue {
		t.Errorf("Dropped = %d, Held = %d; want %d dropped (the oldest failures beyond the queue size) and %d held", st.Dropped, st.Held, 2*queue, queue)
	}

	srv.SetDefault(posthogtest.Accept())
	export(t, c, span("after_outage", cliResource()))
	events, err := srv.WaitForEvents(waitCtx(t), 1)
	if err != nil {
		t.Fatalf("no event arrived after the outage: %v (stats %+v)", err, c.Stats())
	}
	if events[0].Event != "after_outage" {
		t.Errorf("got %q, want after_outage", events[0].Event)
	}
	_ = c.Shutdown(waitCtx(t))
}

// waitFor waits until cond holds, failing the test after testTimeout. It
// polls: the client reports failures through no channel a test can read.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		<-tick.C
	}
}
