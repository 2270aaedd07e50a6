package exporter

import (
	"context"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

var (
	_ sdktrace.SpanExporter = Noop{}
	_ sdkmetric.Exporter    = Noop{}
)

// Noop is a span and metric exporter that drops everything, for a build
// that has no PostHog API key (telemetry off installs no exporter at
// all). It starts no goroutine and holds nothing.
type Noop struct{}

// ExportSpans drops spans.
func (Noop) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }

// Temporality returns DeltaTemporality, like MetricExporter.
func (Noop) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

// Aggregation returns sdkmetric.AggregationDrop: there is nothing to
// compute for an exporter that sends nothing.
func (Noop) Aggregation(sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.AggregationDrop{}
}

// Export drops metrics.
func (Noop) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }

// ForceFlush does nothing.
func (Noop) ForceFlush(context.Context) error { return nil }

// Shutdown does nothing.
func (Noop) Shutdown(context.Context) error { return nil }
