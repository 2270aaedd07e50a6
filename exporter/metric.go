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

// MetricExporter turns each data point into one PostHog event and hands
// the events of each export to a Sender, which delivers them before Export
// returns. It asks for delta temporality for every instrument kind, so
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
	sender  Sender
	stopped atomic.Bool

	mu   sync.Mutex
	last *identity
}

// NewMetricExporter returns a MetricExporter that delivers through s: a
// *Client, or a Backlog in front of one.
func NewMetricExporter(s Sender) (*MetricExporter, error) {
	if s == nil {
		return nil, errors.New("posthog exporter: NewMetricExporter needs a Sender")
	}
	return &MetricExporter{sender: s}, nil
}

// Temporality returns DeltaTemporality for every instrument kind.
func (e *MetricExporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

// Aggregation returns the default aggregation for k.
func (e *MetricExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// Export delivers one event per data point and returns once the Sender is
// done with them, or ctx ends. It returns the Sender's error: a
// *SendError names the events that were not delivered. When the Sender
// prints events (WithDebug) and the metric filter of processors explains
// what it removed (processors.WithDropNotes), each event is followed by
// the notes on its data point.
func (e *MetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return e.export(ctx, rm, dropnotes.FromContext(ctx))
}

// export is Export, with the drop notes of each point when the Sender
// prints events.
func (e *MetricExporter) export(ctx context.Context, rm *metricdata.ResourceMetrics, notes func(string, attribute.Set) []string) error {
	if e.stopped.Load() {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !printsNotes(e.sender) {
		notes = nil
	}
	b := pointBatch{id: e.identity(rm), notes: notes}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				addPoints(&b, m.Name, d.DataPoints, true)
			case metricdata.Sum[float64]:
				addPoints(&b, m.Name, d.DataPoints, true)
			case metricdata.Gauge[int64]:
				addPoints(&b, m.Name, d.DataPoints, false)
			case metricdata.Gauge[float64]:
				addPoints(&b, m.Name, d.DataPoints, false)
			}
		}
	}
	if len(b.events) == 0 {
		return nil
	}
	return sendNoted(ctx, e.sender, b.events, b.eventNotes)
}

// pointBatch gathers the events of one export.
type pointBatch struct {
	id         *identity
	notes      func(string, attribute.Set) []string // nil unless printed
	events     []Event
	eventNotes [][]string
}

func addPoints[N int64 | float64](b *pointBatch, name string, points []metricdata.DataPoint[N], sum bool) {
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
		b.events = append(b.events, posthogmap.PointEvent(b.id.Identity, &p))
		if b.notes != nil {
			b.eventNotes = append(b.eventNotes, b.notes(name, dp.Attributes))
		}
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

// ForceFlush does nothing: Export delivers before it returns, so the
// exporter holds nothing. It returns ctx's error, if any.
func (e *MetricExporter) ForceFlush(ctx context.Context) error {
	return ctx.Err()
}

// Shutdown stops the exporter: metrics exported after it are dropped. It
// does not shut the Sender down, which belongs to whoever created it and
// may serve other exporters. It holds nothing, so it never waits, and it
// is safe to call more than once.
func (e *MetricExporter) Shutdown(context.Context) error {
	e.stopped.Store(true)
	return nil
}
