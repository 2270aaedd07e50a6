package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCountersArriveSummed runs the worker loop against a loopback
// PostHog server and checks that each counter and attribute set arrives
// as one event whose value is the sum over all rounds, keyed by the
// deployment ID, without the error messages.
func TestCountersArriveSummed(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_METRICS_EXPORTER", "")
	const deploymentID = "0b7d1c52-8a3e-4f6b-9c2d-7e1f0a4b5c6d"
	const rounds = 3
	srv := posthogtest.NewServer()
	t.Cleanup(srv.Close)
	env := map[string]string{
		"ELMO_POSTHOG_HOST": srv.URL, "ELMO_POSTHOG_KEY": "phc_test", "DEPLOYMENT_ID": deploymentID,
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), rounds, func(k string) string { return env[k] }, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}

	// Shutdown waited for delivery: everything has arrived.
	got := map[string]float64{}
	for _, ev := range srv.Events() {
		if ev.DistinctID != deploymentID {
			t.Errorf("%s: distinct_id = %q, want the deployment ID", ev.Event, ev.DistinctID)
		}
		if ev.Properties["service"] != "elmo-worker" {
			t.Errorf("%s: service = %v, want elmo-worker", ev.Event, ev.Properties["service"])
		}
		if _, ok := ev.Properties["error_message"]; ok || strings.Contains(string(ev.Raw), "sk-ant") {
			t.Errorf("%s carries the error message: %s", ev.Event, ev.Raw)
		}
		value, _ := ev.Properties["value"].(float64)
		got[key(ev)] += value
	}
	want := map[string]float64{
		"prompt_runs openai gpt-4o-mini ok":            2 * rounds,
		"prompt_runs openai gpt-4o-mini error":         1 * rounds,
		"prompt_runs anthropic claude-3-5-haiku ok":    1 * rounds,
		"prompt_runs anthropic claude-3-5-haiku error": 1 * rounds,
		"provider_errors anthropic rate_limited":       1 * rounds,
		"provider_errors openai timeout":               1 * rounds,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sums = %v\nwant   %v", got, want)
	}
	if n := len(srv.Events()); n != len(want) {
		t.Errorf("got %d events, want %d: one per counter and attribute set", n, len(want))
	}
}

// key names an event by its name and attribute values.
func key(ev posthogtest.Event) string {
	parts := []string{ev.Event}
	for _, k := range []string{"provider", "model", "outcome", "error_type"} {
		if v, ok := ev.Properties[k].(string); ok {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}
