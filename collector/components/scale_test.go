package components_test

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// deploymentSpans returns n prompt_processed spans of one deployment.
func deploymentSpans(deployment string, n int) tracetest.SpanStubs {
	spans := make(tracetest.SpanStubs, n)
	for i := range spans {
		spans[i] = spanStub("prompt_processed", workerResource(deployment), false,
			attribute.StringSlice("providers", []string{"openai"}),
			attribute.Int("total_runs", 1))
	}
	return spans
}

// Two gateway instances behind a load balancer: whichever instance
// receives a deployment's OTLP, its events are the same, and what reaches
// both (a sender that retried on the other instance) arrives as the same
// event twice, same UUID, which PostHog keeps once.
func TestTwoGatewaysSendNoDuplicate(t *testing.T) {
	const depA, depB = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", "2c7a9e41-0d3b-4f6e-a8c5-9b1d2e3f4a50"
	srv := posthogtest.NewServer()
	defer srv.Close()
	g1 := startGateway(t, srv, "")
	g2 := startGateway(t, srv, "")

	a, b := deploymentSpans(depA, 20), deploymentSpans(depB, 20)
	// The balancer splits the deployments, and part of A's data reaches
	// both instances.
	viaOTLP(t, g1.Endpoint, a, rawMetrics(depA))
	viaOTLP(t, g2.Endpoint, b, rawMetrics(depB))
	viaOTLP(t, g2.Endpoint, a[:5], rawMetrics(depA))

	// 20+20 spans, 6 metric events per deployment, and the copies: 5
	// spans and A's 6 metric events again.
	const unique, copies = 40 + 2*6, 5 + 6
	if _, err := srv.WaitForEvents(waitCtx(t), unique+copies); err != nil {
		t.Fatal(err)
	}
	g1.Stop(t)
	g2.Stop(t)

	evs := srv.Events()
	first := make(map[string]posthogtest.Event)
	dups := 0
	for _, e := range evs {
		f, seen := first[e.UUID]
		if !seen {
			first[e.UUID] = e
			continue
		}
		dups++
		if f.Event != e.Event || f.DistinctID != e.DistinctID || !f.Timestamp.Equal(e.Timestamp) || !reflect.DeepEqual(f.Properties, e.Properties) {
			t.Errorf("event %s arrived twice with different content:\n%+v\n%+v", e.UUID, f, e)
		}
	}
	if len(first) != unique || dups != copies {
		t.Errorf("%d distinct events and %d copies arrived, want %d and %d", len(first), dups, unique, copies)
	}
	for _, e := range first {
		if e.DistinctID != depA && e.DistinctID != depB {
			t.Errorf("event %s has distinct ID %q, want a deployment ID", e.Event, e.DistinctID)
		}
	}
}
