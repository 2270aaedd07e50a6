package elmofilterprocessor

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/collector/internal/otlpattr"
	"github.com/elmohq/telemetry/processors"
)

// ReasonCumulative is the reason of a counter's data points that arrive
// with cumulative temporality: an Elmo event carries what was added in
// its interval, and a cumulative sum cannot say it without the previous
// point, so such points are dropped. Elmo's programs export delta sums.
const ReasonCumulative = "cumulative_temporality"

// DroppedMetric is the name of the counter, in the Collector's own
// telemetry, of what the processor dropped, with a "reason" attribute: a
// processors.Reason name (such as span_not_in_catalog, key_not_allowed,
// path or credential) or ReasonCumulative. Spans and data points count
// one each, as do attributes, span events and span links.
const DroppedMetric = "otelcol_elmofilter_dropped"

// filter applies a policy to pdata.
type filter struct {
	policy  *processors.Policy
	dropped metric.Int64Counter
	reasons map[string]metric.MeasurementOption
}

func newFilter(set processor.Settings, policy *processors.Policy) (*filter, error) {
	if policy == nil {
		return nil, errNoPolicy
	}
	meter := set.MeterProvider.Meter("github.com/elmohq/telemetry/collector/elmofilterprocessor")
	dropped, err := meter.Int64Counter(DroppedMetric, //catalogcheck:ignore the Collector's own telemetry, not an Elmo event
		metric.WithDescription("Spans, data points, attributes, span events and links the Elmo catalog gate dropped."),
		metric.WithUnit("{items}"))
	if err != nil {
		return nil, fmt.Errorf("elmofilter: creating the %s counter: %w", DroppedMetric, err)
	}
	f := &filter{policy: policy, dropped: dropped, reasons: make(map[string]metric.MeasurementOption)}
	for _, r := range processors.Reasons() {
		f.reasons[r.String()] = reasonOption(r.String())
	}
	f.reasons[ReasonCumulative] = reasonOption(ReasonCumulative)
	return f, nil
}

// reasonOption is the attribute of the drop counter for reason.
func reasonOption(reason string) metric.MeasurementOption {
	// The Collector's own telemetry, which never reaches PostHog.
	//catalogcheck:ignore the drop counter is the Collector's own telemetry, not an Elmo event
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason)))
}

// drop counts n items dropped for reason.
func (f *filter) drop(ctx context.Context, reason string, n int) {
	if n > 0 {
		f.dropped.Add(ctx, int64(n), f.reasons[reason])
	}
}

// filterResource keeps only the resource attributes the policy allows,
// with the values it sends.
func (f *filter) filterResource(res pcommon.Resource) {
	in := sdkresource.NewSchemaless(otlpattr.FromMap(res.Attributes())...)
	out := f.policy.FilterResource(in)
	otlpattr.Replace(res.Attributes(), out.Attributes())
	res.SetDroppedAttributesCount(0)
}

// clearScope makes scope the one scope of everything that passes the
// gate, as the SDK filter does: the names, versions and attributes of
// instrumentation scopes are chosen in code and are not in the catalog.
func clearScope(scope pcommon.InstrumentationScope) {
	scope.SetName(processors.Scope.Name)
	scope.SetVersion(processors.Scope.Version)
	scope.Attributes().Clear()
	scope.SetDroppedAttributesCount(0)
}

// filterAttributes keeps the attributes of m that the policy allows on the
// event named name, each as the catalog sends it, and counts the others.
func (f *filter) filterAttributes(ctx context.Context, name string, m pcommon.Map) {
	kept := make([]attribute.KeyValue, 0, m.Len())
	for k, v := range m.All() {
		kv, ok := otlpattr.KeyValue(k, v)
		if !ok {
			f.drop(ctx, processors.ReasonWrongType.String(), 1)
			continue
		}
		out, why, ok := f.policy.Allow(name, kv)
		if !ok {
			f.drop(ctx, why.String(), 1)
			continue
		}
		kept = append(kept, out)
	}
	otlpattr.Replace(m, kept)
}

// processTraces passes only the spans of the catalog, filtered.
func (f *filter) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		f.filterResource(rs.Resource())
		rs.SetSchemaUrl("")
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			clearScope(ss.Scope())
			ss.SetSchemaUrl("")
			ss.Spans().RemoveIf(func(s ptrace.Span) bool { return !f.filterSpan(ctx, s) })
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
	if td.ResourceSpans().Len() == 0 {
		return td, processorhelper.ErrSkipProcessingData
	}
	return td, nil
}

// filterSpan filters s in place, or reports false when it must be
// dropped whole.
func (f *filter) filterSpan(ctx context.Context, s ptrace.Span) bool {
	e, ok := f.policy.Event(s.Name())
	if !ok || e.Kind != catalog.KindSpan {
		f.drop(ctx, processors.ReasonSpanNotInCatalog.String(), 1)
		return false
	}
	f.filterAttributes(ctx, s.Name(), s.Attributes())
	s.SetDroppedAttributesCount(0)
	f.drop(ctx, processors.ReasonEvent.String(), s.Events().Len())
	s.Events().RemoveIf(func(ptrace.SpanEvent) bool { return true })
	s.SetDroppedEventsCount(0)
	f.drop(ctx, processors.ReasonLink.String(), s.Links().Len())
	s.Links().RemoveIf(func(ptrace.SpanLink) bool { return true })
	s.SetDroppedLinksCount(0)
	s.TraceState().FromRaw("")
	s.Status().SetMessage("")
	return true
}

// processMetrics passes only the counters and gauges of the catalog,
// filtered.
func (f *filter) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	md.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
		f.filterResource(rm.Resource())
		rm.SetSchemaUrl("")
		rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
			clearScope(sm.Scope())
			sm.SetSchemaUrl("")
			sm.Metrics().RemoveIf(func(m pmetric.Metric) bool { return !f.filterMetric(ctx, m) })
			return sm.Metrics().Len() == 0
		})
		return rm.ScopeMetrics().Len() == 0
	})
	if md.ResourceMetrics().Len() == 0 {
		return md, processorhelper.ErrSkipProcessingData
	}
	return md, nil
}

// filterMetric filters m in place, or reports false when it must be
// dropped whole.
func (f *filter) filterMetric(ctx context.Context, m pmetric.Metric) bool {
	var (
		kind catalog.Kind
		pts  pmetric.NumberDataPointSlice
	)
	switch m.Type() {
	case pmetric.MetricTypeSum:
		sum := m.Sum()
		pts = sum.DataPoints()
		if !sum.IsMonotonic() {
			// An up-down counter: not a kind the catalog has.
			f.drop(ctx, processors.ReasonInstrumentNotInCatalog.String(), pts.Len())
			return false
		}
		if sum.AggregationTemporality() != pmetric.AggregationTemporalityDelta {
			f.drop(ctx, ReasonCumulative, pts.Len())
			return false
		}
		kind = catalog.KindCounter
	case pmetric.MetricTypeGauge:
		pts = m.Gauge().DataPoints()
		kind = catalog.KindGauge
	default:
		f.drop(ctx, processors.ReasonInstrumentNotInCatalog.String(), dataPointCount(m))
		return false
	}
	e, ok := f.policy.Event(m.Name())
	if !ok || e.Kind != kind {
		f.drop(ctx, processors.ReasonInstrumentNotInCatalog.String(), pts.Len())
		return false
	}
	m.SetDescription("")
	m.SetUnit("")
	m.Metadata().Clear()
	for _, p := range pts.All() {
		f.filterAttributes(ctx, m.Name(), p.Attributes())
		p.Exemplars().RemoveIf(func(pmetric.Exemplar) bool { return true })
	}
	mergePoints(pts, kind == catalog.KindCounter)
	return pts.Len() > 0
}

// dataPointCount is how many data points m holds, whatever its type.
func dataPointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 1
}

// mergePoints merges the points whose filtered attributes are the same,
// as the SDK filter does: for a sum the values add up over the widest
// interval, for a gauge the latest value wins. Two points with the same
// attributes would otherwise become events with the same UUID, and
// PostHog would keep only one.
func mergePoints(pts pmetric.NumberDataPointSlice, sum bool) {
	if pts.Len() < 2 {
		return
	}
	index := make(map[attribute.Distinct]int, pts.Len())
	merged := make(map[int]bool)
	for i := 0; i < pts.Len(); i++ {
		p := pts.At(i)
		set := otlpattr.Set(p.Attributes())
		key := set.Equivalent()
		j, seen := index[key]
		if !seen {
			index[key] = i
			continue
		}
		q := pts.At(j)
		merged[i] = true
		switch {
		case sum:
			addValue(q, p)
			if p.StartTimestamp() < q.StartTimestamp() {
				q.SetStartTimestamp(p.StartTimestamp())
			}
			if p.Timestamp() > q.Timestamp() {
				q.SetTimestamp(p.Timestamp())
			}
		case p.Timestamp() > q.Timestamp():
			p.CopyTo(q)
		}
	}
	if len(merged) == 0 {
		return
	}
	i := 0
	pts.RemoveIf(func(pmetric.NumberDataPoint) bool {
		drop := merged[i]
		i++
		return drop
	})
}

// addValue adds the value of p to q, as an integer when both are.
func addValue(q, p pmetric.NumberDataPoint) {
	if q.ValueType() == pmetric.NumberDataPointValueTypeInt && p.ValueType() == pmetric.NumberDataPointValueTypeInt {
		q.SetIntValue(q.IntValue() + p.IntValue())
		return
	}
	q.SetDoubleValue(number(q) + number(p))
}

func number(p pmetric.NumberDataPoint) float64 {
	if p.ValueType() == pmetric.NumberDataPointValueTypeInt {
		return float64(p.IntValue())
	}
	return p.DoubleValue()
}
