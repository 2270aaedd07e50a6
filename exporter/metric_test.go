package exporter_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func TestMetricExporter(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	exp, err := exporter.NewMetricExporter(c)
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(
		attribute.String("elmo.deployment.id", "dep-1"),
		attribute.String("service.name", "elmo-worker"),
		attribute.String("host.name", "canary-hostname"),
	)
	// The reader's interval is long: only ForceFlush collects.
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithResource(res),
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(1<<40))),
	)
	meter := mp.Meter("worker")
	runs, _ := meter.Int64Counter("prompt_runs")
	prompts, _ := meter.Int64Gauge("prompts_tracked")
	edited, _ := meter.Int64Counter("prompts_edited")
	ok := metric.WithAttributes(attribute.String("provider", "openai"), attribute.String("outcome", "ok"))
	ctx := context.Background()

	runs.Add(ctx, 3, ok)
	edited.Add(ctx, 1)
	prompts.Record(ctx, 12)
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	runs.Add(ctx, 4, ok)
	prompts.Record(ctx, 15)
	// prompts_edited did not change: its zero delta is not sent.
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	shutdown(t, c)

	var runTotal float64
	var gauges []float64
	uuids := map[string]bool{}
	counts := map[string]int{}
	for _, ev := range srv.Events() {
		counts[ev.Event]++
		if uuids[ev.UUID] {
			t.Errorf("uuid %s used twice", ev.UUID)
		}
		uuids[ev.UUID] = true
		if ev.DistinctID != "dep-1" {
			t.Errorf("distinct_id = %q, want the deployment ID", ev.DistinctID)
		}
		if _, ok := ev.Properties["host.name"]; ok {
			t.Error("resource attribute host.name was sent")
		}
		if ev.Properties["service"] != "elmo-worker" {
			t.Errorf("service = %v", ev.Properties["service"])
		}
		v, _ := ev.Properties["value"].(float64)
		switch ev.Event {
		case "prompt_runs":
			runTotal += v
			if ev.Properties["provider"] != "openai" || ev.Properties["outcome"] != "ok" {
				t.Errorf("attributes missing: %v", ev.Properties)
			}
		case "prompts_tracked":
			gauges = append(gauges, v)
		}
	}
	if counts["prompt_runs"] != 2 || runTotal != 7 {
		t.Errorf("prompt_runs: %d events summing to %v, want 2 summing to 7", counts["prompt_runs"], runTotal)
	}
	if counts["prompts_edited"] != 1 {
		t.Errorf("prompts_edited: %d events, want 1 (no event for a zero delta)", counts["prompts_edited"])
	}
	if len(gauges) != 2 || gauges[0] != 12 || gauges[1] != 15 {
		t.Errorf("prompts_tracked values %v, want [12 15]", gauges)
	}
}

func TestMetricExporterTemporality(t *testing.T) {
	exp, err := exporter.NewMetricExporter(&exporter.Client{})
	if err != nil {
		t.Fatal(err)
	}
	for k := sdkmetric.InstrumentKindCounter; k <= sdkmetric.InstrumentKindObservableGauge; k++ {
		if got := exp.Temporality(k); got.String() != "DeltaTemporality" {
			t.Errorf("Temporality(%v) = %v, want delta", k, got)
		}
	}
}
