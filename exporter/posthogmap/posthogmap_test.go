package posthogmap_test

import (
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter/posthogmap"
)

// The UUIDs are part of what was sent before: the same span or data point
// must keep its UUID across releases, so that PostHog deduplicates an event
// sent by an older program and again through a newer gateway.
func TestUUIDsAreStable(t *testing.T) {
	if got, want := posthogmap.SpanUUID([16]byte{1, 2, 3}, [8]byte{4, 5}), "d36964cf-6c91-53ea-b920-44aeb9d7170f"; got != want {
		t.Errorf("SpanUUID = %s, want %s", got, want)
	}
	s := attribute.NewSet(attribute.String("provider", "openai"))
	if got, want := posthogmap.PointUUID("d", "prompt_runs", &s, time.Unix(10, 0), time.Unix(20, 0)), "80a81217-ee68-53e2-9664-b3d44c3b18a6"; got != want {
		t.Errorf("PointUUID = %s, want %s", got, want)
	}
}

func TestIdentity(t *testing.T) {
	const install, deployment = "0b9f4c8e-6a3d-4c1e-9f2a-7d5b8e1c3a40", "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
	tests := []struct {
		name     string
		res      []attribute.KeyValue
		wantID   string
		wantProp map[string]any
	}{
		{name: "install", res: []attribute.KeyValue{catalog.ResourceInstallID.String(install), catalog.ResourceDeploymentID.String(deployment)}, wantID: install},
		{name: "deployment", res: []attribute.KeyValue{catalog.ResourceDeploymentID.String(deployment), attribute.String("service.name", "elmo-web")}, wantID: deployment, wantProp: map[string]any{"service": "elmo-web"}},
		{name: "neither", res: []attribute.KeyValue{attribute.String("service.name", "elmo-web")}, wantID: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := attribute.NewSet(tt.res...)
			id := posthogmap.NewIdentity(&set)
			if id.DistinctID() != tt.wantID {
				t.Errorf("DistinctID() = %q, want %q", id.DistinctID(), tt.wantID)
			}
			ev := id.SpanEvent(&posthogmap.Span{Name: "cli_version", Start: time.Unix(1, 0), End: time.Unix(2, 0)})
			for k, v := range tt.wantProp {
				if ev.Properties[k] != v {
					t.Errorf("property %s = %v, want %v", k, ev.Properties[k], v)
				}
			}
			for _, k := range []string{"elmo.install.id", "elmo.deployment.id", "service.name"} {
				if _, ok := ev.Properties[k]; ok {
					t.Errorf("resource attribute %s sent as a property", k)
				}
			}
		})
	}
	if id := posthogmap.NewIdentity(nil); id.DistinctID() != "" {
		t.Errorf("NewIdentity(nil).DistinctID() = %q", id.DistinctID())
	}
}

func TestSpanEvent(t *testing.T) {
	set := attribute.NewSet(catalog.ResourceInstallID.String("0b9f4c8e-6a3d-4c1e-9f2a-7d5b8e1c3a40"))
	id := posthogmap.NewIdentity(&set)
	cet := time.FixedZone("CET", 3600)
	ev := id.SpanEvent(&posthogmap.Span{
		Name:       "cli_init",
		TraceID:    [16]byte{1},
		SpanID:     [8]byte{2},
		Start:      time.Date(2026, 1, 2, 3, 4, 5, 0, cet),
		End:        time.Date(2026, 1, 2, 3, 4, 6, 500_000_000, cet),
		Failed:     true,
		Attributes: []attribute.KeyValue{attribute.Int("exit_code", 1)},
	})
	if ev.Event != "cli_init" || !ev.Timestamp.Equal(time.Date(2026, 1, 2, 2, 4, 6, 500_000_000, time.UTC)) || ev.Timestamp.Location() != time.UTC {
		t.Errorf("event %q at %v", ev.Event, ev.Timestamp)
	}
	want := map[string]any{"exit_code": int64(1), "duration_ms": int64(1500), "success": false}
	for k, v := range want {
		if ev.Properties[k] != v {
			t.Errorf("property %s = %#v, want %#v", k, ev.Properties[k], v)
		}
	}
	if ev.UUID != posthogmap.SpanUUID([16]byte{1}, [8]byte{2}) {
		t.Errorf("UUID %s is not derived from the span's IDs", ev.UUID)
	}
}

func TestPointSendable(t *testing.T) {
	tests := []struct {
		name string
		p    posthogmap.Point[float64]
		want bool
	}{
		{"sum", posthogmap.Point[float64]{Value: 2, Sum: true}, true},
		{"zero sum", posthogmap.Point[float64]{Value: 0, Sum: true}, false},
		{"zero gauge", posthogmap.Point[float64]{Value: 0}, true},
		{"NaN", posthogmap.Point[float64]{Value: math.NaN()}, false},
		{"infinite", posthogmap.Point[float64]{Value: math.Inf(1), Sum: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Sendable(); got != tt.want {
				t.Errorf("Sendable() = %v, want %v", got, tt.want)
			}
		})
	}
}
