package main_test

import (
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// telemetryLines returns the lines of output that speak of telemetry.
func telemetryLines(p *deploytest.Process) []string {
	var out []string
	for _, l := range p.Output.All() {
		if strings.Contains(strings.ToLower(l), "telemetry") || strings.Contains(strings.ToLower(l), "posthog") {
			out = append(out, l)
		}
	}
	return out
}

// A worker whose events are all delivered says nothing about telemetry,
// at shutdown either, with either capture API.
func TestDeliveryIsQuietWhenNothingIsLost(t *testing.T) {
	for _, api := range []string{"legacy", "v1"} {
		t.Run(api, func(t *testing.T) {
			capture := posthogtest.NewServer()
			defer capture.Close()
			p, _ := startWorker(t, capture.URL, map[string]string{"ELMO_POSTHOG_CAPTURE": api})
			ctx, cancel := deploytest.Context()
			defer cancel()
			if _, err := p.Output.WaitFor(ctx, `msg="prompt processed"`); err != nil {
				t.Fatalf("%v\noutput:\n%s", err, p.Output)
			}
			if err := p.Stop(ctx); err != nil {
				t.Fatalf("elmo-worker did not stop cleanly: %v\noutput:\n%s", err, p.Output)
			}
			if len(capture.Events()) == 0 {
				t.Fatal("no event arrived: the test tested nothing")
			}
			if got := telemetryLines(p); len(got) != 0 {
				t.Errorf("logged about telemetry though nothing was lost:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// An outage is logged as two changes of state, not per batch: once when
// capture becomes unreachable, with the reason, and once when it
// recovers, with counts.
func TestDeliveryOutageIsLoggedAsStateChanges(t *testing.T) {
	for _, api := range []string{"legacy", "v1"} {
		t.Run(api, func(t *testing.T) {
			capture := posthogtest.NewServer()
			defer capture.Close()
			capture.SetDefault(posthogtest.Respond(503))
			p, _ := startWorker(t, capture.URL, map[string]string{"ELMO_POSTHOG_CAPTURE": api})
			ctx, cancel := deploytest.Context()
			defer cancel()
			if _, err := p.Output.WaitFor(ctx, "cannot reach PostHog", "503"); err != nil {
				t.Fatalf("%v\noutput:\n%s", err, p.Output)
			}
			// Several more failed requests during the outage.
			n := len(capture.Requests())
			if _, err := capture.WaitForRequests(ctx, n+5); err != nil {
				t.Fatal(err)
			}
			capture.SetDefault(posthogtest.Accept())
			if _, err := p.Output.WaitFor(ctx, "PostHog is reachable again", "delivered_late=", "dropped="); err != nil {
				t.Fatalf("%v\noutput:\n%s", err, p.Output)
			}
			if err := p.Stop(ctx); err != nil {
				t.Fatalf("elmo-worker did not stop cleanly: %v\noutput:\n%s", err, p.Output)
			}
			var down, up int
			for _, l := range telemetryLines(p) {
				switch {
				case strings.Contains(l, "cannot reach PostHog"):
					down++
				case strings.Contains(l, "reachable again"):
					up++
				case strings.Contains(l, "events were not delivered"):
				default:
					t.Errorf("unexpected telemetry line: %s", l)
				}
			}
			if down != 1 || up != 1 {
				t.Errorf("%d unreachable and %d recovered lines, want one each:\n%s", down, up, strings.Join(telemetryLines(p), "\n"))
			}
		})
	}
}
