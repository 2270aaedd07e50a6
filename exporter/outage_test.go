package exporter_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// A deployment service exports through a Backlog in front of its Client.
// During an outage longer than the Backlog holds, memory stays bounded:
// the oldest events are let go, counted in the Client's Stats and in the
// delivery record. Once the server answers, the first export delivers
// what the Backlog still holds, first and once, before its own events.
func TestEventsFlowAgainAfterAnOutageLongerThanTheBacklog(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.SetDefault(posthogtest.Respond(503))
	var rec deliveryRecord
	c := newClient(t, srv, exporter.WithMaxRetries(0), exporter.WithDeliveryRecord(rec.add))
	defer shutdown(t, c)
	const held = 4
	b, err := exporter.NewBacklog(c, held)
	if err != nil {
		t.Fatal(err)
	}

	// Three backlogs' worth of spans fail, one export at a time.
	for i := range 3 * held {
		if err := exportErr(t, waitCtx(t), b, span(fmt.Sprint("outage", i), cliResource())); err == nil {
			t.Fatalf("export %d succeeded while the server answers 503", i)
		}
	}
	if n, d := b.Len(), b.Dropped(); n != held || d != 2*held {
		t.Errorf("the backlog holds %d and dropped %d; want %d held and %d dropped", n, d, held, 2*held)
	}
	if st := c.Stats(); st.Dropped != 2*held {
		t.Errorf("Stats().Dropped = %d, want %d (the oldest failures beyond the backlog)", st.Dropped, 2*held)
	}
	rec.mu.Lock()
	var droppedNames []string
	for _, d := range rec.dropped {
		if d.Reason != exporter.DropBacklogFull {
			t.Errorf("dropped %s for %q, want %q", d.Event.Event, d.Reason, exporter.DropBacklogFull)
		}
		droppedNames = append(droppedNames, d.Event.Event)
	}
	rec.mu.Unlock()
	slices.Sort(droppedNames)
	var wantDropped []string
	for i := range 2 * held {
		wantDropped = append(wantDropped, fmt.Sprint("outage", i))
	}
	slices.Sort(wantDropped)
	if !slices.Equal(droppedNames, wantDropped) {
		t.Errorf("the record has %v dropped, want %v", droppedNames, wantDropped)
	}

	srv.SetDefault(posthogtest.Accept())
	export(t, b, span("after_outage", cliResource()))
	got := posthogtest.Names(srv.Events())
	want := []string{"outage8", "outage9", "outage10", "outage11", "after_outage"}
	if !slices.Equal(got, want) {
		t.Errorf("the server has %v, want %v: the held events first, then the new one", got, want)
	}
	if b.Len() != 0 {
		t.Errorf("the backlog still holds %d events", b.Len())
	}
	if st := c.Stats(); st.DeliveredLate != held {
		t.Errorf("Stats().DeliveredLate = %d, want %d", st.DeliveredLate, held)
	}
}
