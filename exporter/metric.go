package exporter

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/elmohq/telemetry/exporter/posthogmap"
	"github.com/elmohq/telemetry/internal/pipeline/dropnotes"
)

var _ sdkmetric.Exporter = (*MetricExporter)(nil)

// MetricExporter turns each data point into one PostHog event and queues it
// on a Client. It asks for delta temporality for every instrument kind, so
// a counter's event carries what was added during the interval.
//
// An event is named after its instrument and carries value (the sum's
// delta, or the gauge's value), the point's attributes and the common
// properties of the resource; its distinct ID is chosen as for spans. Its
// UUID is derived from the distinct ID, the instrument name, the attribute
// set and the interval, so exporting the same point twice never counts
// twice. A sum point whose delta is zero is not sent: nothing happened.
// Histograms, exponential histograms and summaries are not sent, nor are
// exemplars, and neither is a point whose value is NaN or infinite.
type MetricExporter struct {
	client  *Client
	stopped atomic.Bool

	mu   sync.Mutex
	last *identity
}

// NewMetricExporter returns a MetricExporter that queues events on c.
func NewMetricExporter(c *Client) (*MetricExporter, error) {
	if c == nil {
		return nil, errors.New("posthog exporter: NewMetricExporter needs a Client")
	}
	return &MetricExporter{client: c}, nil
}

// Temporality returns DeltaTemporality for every instrument kind.
func (e *MetricExporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

// Aggregation returns the default aggregation for k.
func (e *MetricExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// Export queues one event per data point and returns without waiting on the
// network. When the Client prints events (WithDebug) and the metric filter
// of processors explains what it removed (processors.WithDropNotes), each
// event is followed by the notes on its data point.
func (e *MetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return e.export(ctx, rm, dropnotes.FromContext(ctx))
}

// export is Export, with the drop notes of each point in debug mode.
func (e *MetricExporter) export(ctx context.Context, rm *metricdata.ResourceMetrics, notes func(string, attribute.Set) []string) error {
	if e.stopped.Load() {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	id := e.identity(rm)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				exportPoints(e.client, id, m.Name, d.DataPoints, true, notes)
			case metricdata.Sum[float64]:
				exportPoints(e.client, id, m.Name, d.DataPoints, true, notes)
			case metricdata.Gauge[int64]:
				exportPoints(e.client, id, m.Name, d.DataPoints, false, notes)
			case metricdata.Gauge[float64]:
				exportPoints(e.client, id, m.Name, d.DataPoints, false, notes)
			}
		}
	}
	return nil
}

func exportPoints[N int64 | float64](c *Client, id *identity, name string, points []metricdata.DataPoint[N], sum bool, notes func(string, attribute.Set) []string) {
	for _, dp := range points {
		p := posthogmap.Point[N]{
			Name:       name,
			Attributes: dp.Attributes,
			Start:      dp.StartTime,
			Time:       dp.Time,
			Value:      dp.Value,
			Sum:        sum,
		}
		if !p.Sendable() {
			continue
		}
		if id.DistinctID() == "" {
			c.dropped.Add(1)
			continue
		}
		var pointNotes []string
		if notes != nil && c.debug != nil {
			pointNotes = notes(name, dp.Attributes)
		}
		c.enqueueNoted(posthogmap.PointEvent(id.Identity, &p), pointNotes)
	}
}

func (e *MetricExporter) identity(rm *metricdata.ResourceMetrics) *identity {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil || e.last.res != rm.Resource {
		e.last = identityOf(rm.Resource)
	}
	return e.last
}

// ForceFlush flushes the Client within ctx.
func (e *MetricExporter) ForceFlush(ctx context.Context) error {
	return e.client.Flush(ctx)
}

// Shutdown stops the exporter: metrics exported after it are dropped. It
// neither flushes nor shuts down the Client, which belongs to whoever
// created it and may serve other exporters; that owner calls
// Client.Shutdown, which delivers what is queued. Shutdown does not block
// and is safe to call more than once.
func (e *MetricExporter) Shutdown(context.Context) error {
	e.stopped.Store(true)
	return nil
}
