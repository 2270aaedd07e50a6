package exporter_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/internal/pipeline/dropnotes"
)

// TestExportPrintsNotesAfterEachEvent checks that in debug mode each
// data point's event is followed by the notes the export's context
// carries, and that a point without notes is printed alone.
func TestExportPrintsNotesAfterEachEvent(t *testing.T) {
	var buf bytes.Buffer
	c, err := exporter.NewClient(exporter.WithDebug(&buf))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := exporter.NewMetricExporter(c)
	if err != nil {
		t.Fatal(err)
	}
	ok := attribute.NewSet(attribute.String("outcome", "ok"))
	failed := attribute.NewSet(attribute.String("outcome", "error"))
	now := time.Now()
	rm := &metricdata.ResourceMetrics{
		Resource: resource.NewSchemaless(attribute.String("elmo.deployment.id", "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10")),
		ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
			Name: "prompt_runs",
			Data: metricdata.Sum[int64]{IsMonotonic: true, Temporality: metricdata.DeltaTemporality, DataPoints: []metricdata.DataPoint[int64]{
				{Attributes: ok, Value: 2, StartTime: now, Time: now},
				{Attributes: failed, Value: 1, StartTime: now, Time: now},
			}},
		}}}},
	}
	notes := func(metric string, attrs attribute.Set) []string {
		if metric == "prompt_runs" && attrs.Equals(&ok) {
			return []string{"dropped attribute prompt: not in catalog entry prompt_runs"}
		}
		return nil
	}
	if err := exp.Export(dropnotes.NewContext(context.Background(), notes), rm); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want the two events and one note:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], `"outcome":"ok"`) ||
		lines[1] != exporter.NotePrefix+"dropped attribute prompt: not in catalog entry prompt_runs" ||
		!strings.Contains(lines[2], `"outcome":"error"`) {
		t.Errorf("the note does not follow its event:\n%s", buf.String())
	}
	buf.Reset()
	if err := exp.Export(context.Background(), rm); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 2 || strings.Contains(buf.String(), exporter.NotePrefix+"dropped") {
		t.Errorf("without notes, want the two events alone:\n%s", buf.String())
	}
}
