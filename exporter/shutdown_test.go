package exporter_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// TestExporterShutdownStopsOnlyTheExporter shows that an exporter's
// Shutdown neither sends nor closes the Sender it shares: the Client
// still delivers for its owner afterwards, and its own Shutdown may be
// repeated.
func TestExporterShutdownStopsOnlyTheExporter(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(context.Context, *exporter.Client) error
	}{
		{"span exporter", func(ctx context.Context, c *exporter.Client) error {
			exp, err := exporter.NewSpanExporter(c)
			if err != nil {
				return err
			}
			return exp.Shutdown(ctx)
		}},
		{"metric exporter", func(ctx context.Context, c *exporter.Client) error {
			exp, err := exporter.NewMetricExporter(c)
			if err != nil {
				return err
			}
			return exp.Shutdown(ctx)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			c := newClient(t, srv)
			ctx := waitCtx(t)

			spans, err := exporter.NewSpanExporter(c)
			if err != nil {
				t.Fatal(err)
			}
			if err := spans.ExportSpans(ctx, tracetest.SpanStubs{span("cli_version", cliResource())}.Snapshots()); err != nil {
				t.Fatal(err)
			}
			if err := tc.stop(ctx, c); err != nil {
				t.Fatalf("exporter Shutdown: %v", err)
			}
			if got := len(srv.Requests()); got != 1 {
				t.Fatalf("%d requests after the export and the exporter's Shutdown; want the export's only", got)
			}
			if err := c.Send(ctx, captureEvent("cli_init", 0)); err != nil {
				t.Fatalf("Send after an exporter's Shutdown: %v; want the Client still open", err)
			}
			if got := posthogtest.Names(srv.Events()); len(got) != 2 {
				t.Fatalf("server has %v; want both events", got)
			}
			for i := range 2 {
				if err := c.Shutdown(ctx); err != nil {
					t.Fatalf("Client Shutdown #%d: %v; want nil", i+1, err)
				}
			}
		})
	}
}

// TestStoppedExporterDropsSpans shows that a span exporter exports
// nothing once it is shut down.
func TestStoppedExporterDropsSpans(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	ctx := waitCtx(t)
	exp, err := exporter.NewSpanExporter(c)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := exp.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	}
	if err := exp.ExportSpans(ctx, tracetest.SpanStubs{span("cli_version", cliResource())}.Snapshots()); err != nil {
		t.Fatal(err)
	}
	shutdown(t, c)
	if got := len(srv.Requests()); got != 0 {
		t.Fatalf("server got %d requests; want none after the exporter stopped", got)
	}
}
