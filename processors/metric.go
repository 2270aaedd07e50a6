package processors

import (
	"context"
	"fmt"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/pipeline/dropnotes"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// MetricFilter applies a policy to the instruments of a MeterProvider:
// instruments in the policy keep only the allowed attributes whose values
// pass the same checks as span attributes, every other instrument is
// dropped, and exemplars (which would carry the unfiltered attributes and
// trace IDs of measurements) are never recorded.
type MetricFilter struct {
	policy *Policy
	drops  dropCounters
	notes  func(string) // nil unless WithDropNotes
}

// NewMetricFilter returns a MetricFilter for the policy set with
// [WithPolicy], by default [DefaultPolicy].
func NewMetricFilter(opts ...FilterOption) (*MetricFilter, error) {
	cfg, err := newFilterConfig(opts)
	if err != nil {
		return nil, err
	}
	return &MetricFilter{policy: cfg.policy, notes: cfg.notes}, nil
}

// dropInstrument counts an instrument the policy does not allow, and
// explains it with WithDropNotes.
func (m *MetricFilter) dropInstrument(name string, kind sdkmetric.InstrumentKind) {
	m.drops.add(ReasonInstrumentNotInCatalog, 1)
	if m.notes == nil {
		return
	}
	what := "not in catalog"
	if e, ok := m.policy.Event(name); ok {
		what = fmt.Sprintf("catalog entry %s is a %v", e.DisplayName(), e.Kind)
	}
	m.notes(fmt.Sprintf("dropped %s %s: %s", instrumentKindName(kind), quoteName(name), what))
}

// instrumentKindName names an instrument kind for a note.
func instrumentKindName(k sdkmetric.InstrumentKind) string {
	switch k {
	case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindObservableCounter:
		return "counter"
	case sdkmetric.InstrumentKindGauge, sdkmetric.InstrumentKindObservableGauge:
		return "gauge"
	case sdkmetric.InstrumentKindUpDownCounter, sdkmetric.InstrumentKindObservableUpDownCounter:
		return "up-down counter"
	case sdkmetric.InstrumentKindHistogram:
		return "histogram"
	}
	return "instrument"
}

// Dropped returns how much the filter has dropped so far, per reason.
// ReasonInstrumentNotInCatalog counts instrument registrations; attribute
// reasons count attributes of measurements.
func (m *MetricFilter) Dropped() DropCounts { return m.drops.snapshot() }

// instrument returns the entry for an instrument of the given name and
// kind, or nil.
func (p *Policy) instrument(name string, kind sdkmetric.InstrumentKind) *compiledEvent {
	ce, ok := p.instruments[name]
	if !ok {
		return nil
	}
	switch kind {
	case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindObservableCounter:
		if ce.event.Kind == catalog.KindCounter {
			return ce
		}
	case sdkmetric.InstrumentKindGauge, sdkmetric.InstrumentKindObservableGauge:
		if ce.event.Kind == catalog.KindGauge {
			return ce
		}
	}
	return nil
}

// ExportOptions returns the MeterProvider options that go with
// [MetricFilter.Exporter]: a view that drops every instrument not in the
// policy (and nothing else), and exemplars off. Pass them after any other
// option, register no other view (the SDK makes one stream per matching
// view, so a second view would export the instrument a second time), and
// wrap every reader's exporter with [MetricFilter.Exporter], which removes
// what the policy does not allow before anything leaves the process.
//
// Filtering once per export, rather than with an attribute filter on
// every Add, keeps the caller's path as fast as a bare SDK. Disallowed
// attribute values are held in memory until the next export, within the
// SDK's cardinality limit, and never exported.
func (m *MetricFilter) ExportOptions() []sdkmetric.Option {
	return []sdkmetric.Option{
		sdkmetric.WithView(func(inst sdkmetric.Instrument) (sdkmetric.Stream, bool) {
			if m.policy.instrument(inst.Name, inst.Kind) == nil {
				m.dropInstrument(inst.Name, inst.Kind)
				return sdkmetric.Stream{Name: inst.Name, Aggregation: sdkmetric.AggregationDrop{}}, true
			}
			return sdkmetric.Stream{Name: inst.Name, Description: inst.Description, Unit: inst.Unit}, true
		}),
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter),
	}
}

// Exporter returns next wrapped so that every export first passes through
// [MetricFilter.Filter].
func (m *MetricFilter) Exporter(next sdkmetric.Exporter) sdkmetric.Exporter {
	return filteringExporter{Exporter: next, filter: m}
}

type filteringExporter struct {
	sdkmetric.Exporter
	filter *MetricFilter
}

var _ sdkmetric.Exporter = filteringExporter{}

// Export filters rm, then exports what is left. With WithDropNotes, the
// context it exports with carries the notes on each data point
// (dropnotes.FromContext), for an exporter that prints them.
func (e filteringExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if e.filter.notes != nil {
		notes := make(pointNotes)
		e.filter.filter(rm, notes)
		return e.Exporter.Export(dropnotes.NewContext(ctx, notes.get), rm)
	}
	e.filter.Filter(rm)
	return e.Exporter.Export(ctx, rm)
}

// pointNotes holds the drop notes of data points, by metric name and
// attributes as sent.
type pointNotes map[pointKey][]string

type pointKey struct {
	metric string
	attrs  attribute.Distinct
}

func (p pointNotes) add(metric string, attrs attribute.Set, notes []string) {
	k := pointKey{metric, attrs.Equivalent()}
	for _, n := range notes {
		if !containsString(p[k], n) {
			p[k] = append(p[k], n)
		}
	}
}

func (p pointNotes) get(metric string, attrs attribute.Set) []string {
	return p[pointKey{metric, attrs.Equivalent()}]
}

// Filter applies the policy to rm in place: metrics not in the policy (by
// name, and by kind: a monotonic sum is a counter, a gauge a gauge) are
// removed; the data points of the others keep only the allowed attributes
// whose values pass the policy's checks, and points left with the same
// attributes are merged (sums added, the latest gauge value kept); a
// value the catalog sends in place of another (a model's public name,
// "other") replaces it, so points can merge;
// exemplars are removed; the resource keeps only the policy's resource
// attributes; every scope becomes [Scope].
func (m *MetricFilter) Filter(rm *metricdata.ResourceMetrics) { m.filter(rm, nil) }

// filter is Filter, recording drop notes in notes when it is not nil.
func (m *MetricFilter) filter(rm *metricdata.ResourceMetrics, notes pointNotes) {
	if rm == nil {
		return
	}
	rm.Resource = m.policy.FilterResource(rm.Resource)
	for i := range rm.ScopeMetrics {
		sm := &rm.ScopeMetrics[i]
		sm.Scope = Scope
		kept := sm.Metrics[:0]
		for _, mt := range sm.Metrics {
			if data, ok := m.filterData(mt.Name, mt.Data, notes); ok {
				mt.Data = data
				kept = append(kept, mt)
			}
		}
		clear(sm.Metrics[len(kept):])
		sm.Metrics = kept
	}
}

// filterData filters the data of the metric called name, or reports false
// when the metric may not be exported at all.
func (m *MetricFilter) filterData(name string, data metricdata.Aggregation, notes pointNotes) (metricdata.Aggregation, bool) {
	kind := sdkmetric.InstrumentKindGauge
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		kind = sdkmetric.InstrumentKindCounter
		if !d.IsMonotonic {
			kind = sdkmetric.InstrumentKindUpDownCounter
		}
	case metricdata.Sum[float64]:
		kind = sdkmetric.InstrumentKindCounter
		if !d.IsMonotonic {
			kind = sdkmetric.InstrumentKindUpDownCounter
		}
	case metricdata.Gauge[int64], metricdata.Gauge[float64]:
	default:
		m.dropInstrument(name, sdkmetric.InstrumentKindHistogram)
		return nil, false
	}
	ce := m.policy.instrument(name, kind)
	if ce == nil {
		m.dropInstrument(name, kind)
		return nil, false
	}
	keep := func(set attribute.Set) attribute.Set {
		out := m.filterSet(ce, set)
		if notes != nil {
			for it := set.Iter(); it.Next(); {
				notes.add(name, out, ce.explain(name, it.Attribute()))
			}
		}
		return out
	}
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		d.DataPoints = filterPoints(d.DataPoints, keep, true)
		return d, true
	case metricdata.Sum[float64]:
		d.DataPoints = filterPoints(d.DataPoints, keep, true)
		return d, true
	case metricdata.Gauge[int64]:
		d.DataPoints = filterPoints(d.DataPoints, keep, false)
		return d, true
	case metricdata.Gauge[float64]:
		d.DataPoints = filterPoints(d.DataPoints, keep, false)
		return d, true
	}
	return nil, false
}

// filterSet returns the attributes of set that ce allows, each as it is
// sent (a value the catalog sends in place of another, such as a model's
// public name or "other", replaces it), and counts what it drops.
func (m *MetricFilter) filterSet(ce *compiledEvent, set attribute.Set) attribute.Set {
	if set.Len() == 0 {
		return set
	}
	kvs := make([]attribute.KeyValue, 0, set.Len())
	for it := set.Iter(); it.Next(); {
		kv := it.Attribute()
		out := kv
		if why, _ := ce.check(&kv, &out); why != ReasonNone {
			m.drops.add(why, 1)
			continue
		}
		kvs = append(kvs, out)
	}
	return attribute.NewSet(kvs...)
}

// filterPoints filters the attributes of pts in place and merges the
// points whose filtered attributes are the same: for a sum the values add
// up over the widest interval, for a gauge the latest value wins.
func filterPoints[N int64 | float64](pts []metricdata.DataPoint[N], filter func(attribute.Set) attribute.Set, sum bool) []metricdata.DataPoint[N] {
	out := pts[:0]
	var index map[attribute.Distinct]int
	for _, p := range pts {
		p.Attributes = filter(p.Attributes)
		p.Exemplars = nil
		if index == nil {
			index = make(map[attribute.Distinct]int, len(pts))
		}
		key := p.Attributes.Equivalent()
		i, seen := index[key]
		if !seen {
			index[key] = len(out)
			out = append(out, p)
			continue
		}
		q := &out[i]
		switch {
		case sum:
			q.Value += p.Value
			if p.StartTime.Before(q.StartTime) {
				q.StartTime = p.StartTime
			}
			if p.Time.After(q.Time) {
				q.Time = p.Time
			}
		case p.Time.After(q.Time):
			q.Value, q.Time = p.Value, p.Time
		}
	}
	clear(pts[len(out):])
	return out
}
