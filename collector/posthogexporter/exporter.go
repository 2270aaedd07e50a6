package posthogexporter

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	collexporter "go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/elmohq/telemetry/collector/internal/otlpattr"
	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogmap"
)

type posthogExporter struct {
	cfg    *Config
	logger *zap.Logger
	client *exporter.Client
}

func newExporter(cfg *Config, set collexporter.Settings) *posthogExporter {
	return &posthogExporter{cfg: cfg, logger: set.Logger}
}

func (e *posthogExporter) start(context.Context, component.Host) error {
	api, err := exporter.ParseCaptureAPI(e.cfg.CaptureAPI)
	if err != nil {
		return fmt.Errorf("posthog exporter: capture_api: %w", err)
	}
	c, err := exporter.NewClient(
		exporter.WithHost(e.cfg.Endpoint),
		exporter.WithAPIKey(string(e.cfg.APIKey)),
		exporter.WithCaptureAPI(api),
		exporter.WithBatchSize(e.cfg.BatchSize),
		exporter.WithCompression(e.cfg.Compression),
		// exporterhelper's retry_on_failure is the one retry loop: a
		// failed request goes back to it at once, and is sent again on
		// its schedule, not multiplied by retries of the Client's own.
		exporter.WithMaxRetries(0),
		exporter.WithLogger(zapSlog(e.logger)),
	)
	if err != nil {
		return err
	}
	e.client = c
	return nil
}

func (e *posthogExporter) shutdown(ctx context.Context) error {
	if e.client == nil {
		return nil
	}
	// The sending queue has drained (or been persisted) before the
	// exporter shuts down, and every Send has returned: the Client holds
	// nothing.
	if err := e.client.Shutdown(ctx); err != nil {
		return fmt.Errorf("posthog exporter: shutting down: %w", err)
	}
	return nil
}

// send delivers events and classifies the outcome for exporterhelper:
// refused for good is permanent, anything else is retried.
func (e *posthogExporter) send(ctx context.Context, events []posthogmap.Event) error {
	if len(events) == 0 {
		return nil
	}
	err := e.client.Send(ctx, events...)
	if err == nil {
		return nil
	}
	if errors.Is(err, exporter.ErrRejected) {
		return consumererror.NewPermanent(err)
	}
	if se := (*exporter.SendError)(nil); errors.As(err, &se) && se.RetryAfter > 0 {
		// exporterhelper waits at least as long as the server asked.
		return exporterhelper.NewThrottleRetry(err, se.RetryAfter)
	}
	return err
}

// noDistinctID logs, at debug level, data that is not sent because its
// resource has neither an install ID nor a deployment ID.
func (e *posthogExporter) noDistinctID(kind string, n int) {
	if n > 0 {
		e.logger.Debug("not sent: the resource has neither elmo.install.id nor elmo.deployment.id",
			zap.String("kind", kind), zap.Int("count", n))
	}
}

func (e *posthogExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	return e.send(ctx, e.spanEvents(td))
}

func (e *posthogExporter) pushMetrics(ctx context.Context, md pmetric.Metrics) error {
	return e.send(ctx, e.pointEvents(md))
}

// spanEvents maps every span of td to its event.
func (e *posthogExporter) spanEvents(td ptrace.Traces) []posthogmap.Event {
	events := make([]posthogmap.Event, 0, td.SpanCount())
	for _, rs := range td.ResourceSpans().All() {
		set := otlpattr.Set(rs.Resource().Attributes())
		id := posthogmap.NewIdentity(&set)
		if id.DistinctID() == "" {
			n := 0
			for _, ss := range rs.ScopeSpans().All() {
				n += ss.Spans().Len()
			}
			e.noDistinctID("spans", n)
			continue
		}
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				events = append(events, id.SpanEvent(&posthogmap.Span{
					Name:       s.Name(),
					TraceID:    trace.TraceID(s.TraceID()),
					SpanID:     trace.SpanID(s.SpanID()),
					Start:      otlpattr.Time(s.StartTimestamp()),
					End:        otlpattr.Time(s.EndTimestamp()),
					Failed:     s.Status().Code() == ptrace.StatusCodeError,
					Attributes: otlpattr.FromMap(s.Attributes()),
				}))
			}
		}
	}
	return events
}

// pointEvents maps every data point of a delta counter or a gauge in md to
// its event. Other metrics send nothing: the elmofilter processor has
// removed them already.
func (e *posthogExporter) pointEvents(md pmetric.Metrics) []posthogmap.Event {
	events := make([]posthogmap.Event, 0, md.DataPointCount())
	for _, rm := range md.ResourceMetrics().All() {
		set := otlpattr.Set(rm.Resource().Attributes())
		id := posthogmap.NewIdentity(&set)
		if id.DistinctID() == "" {
			n := 0
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					n += numberPoints(m).Len()
				}
			}
			e.noDistinctID("data points", n)
			continue
		}
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				sum := m.Type() == pmetric.MetricTypeSum
				if sum && (!m.Sum().IsMonotonic() || m.Sum().AggregationTemporality() != pmetric.AggregationTemporalityDelta) {
					continue
				}
				for _, dp := range numberPoints(m).All() {
					events = appendPoint(events, id, m.Name(), dp, sum)
				}
			}
		}
	}
	return events
}

// numberPoints returns the points of a sum or a gauge, and an empty slice
// for any other metric.
func numberPoints(m pmetric.Metric) pmetric.NumberDataPointSlice {
	switch m.Type() {
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints()
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints()
	}
	return pmetric.NewNumberDataPointSlice()
}

func appendPoint(events []posthogmap.Event, id *posthogmap.Identity, name string, dp pmetric.NumberDataPoint, sum bool) []posthogmap.Event {
	attrs := otlpattr.Set(dp.Attributes())
	start, end := otlpattr.Time(dp.StartTimestamp()), otlpattr.Time(dp.Timestamp())
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeInt:
		p := posthogmap.Point[int64]{Name: name, Attributes: attrs, Start: start, Time: end, Value: dp.IntValue(), Sum: sum}
		if p.Sendable() {
			events = append(events, posthogmap.PointEvent(id, &p))
		}
	case pmetric.NumberDataPointValueTypeDouble:
		p := posthogmap.Point[float64]{Name: name, Attributes: attrs, Start: start, Time: end, Value: dp.DoubleValue(), Sum: sum}
		if p.Sendable() {
			events = append(events, posthogmap.PointEvent(id, &p))
		}
	}
	return events
}
