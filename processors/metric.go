package processors

import (
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
)

// MetricFilter applies a policy to the instruments of a MeterProvider:
// instruments in the policy keep only the allowed attributes whose values
// pass the same checks as span attributes, every other instrument is
// dropped, and exemplars (which would carry the unfiltered attributes and
// trace IDs of measurements) are never recorded.
type MetricFilter struct {
	policy *Policy
	drops  dropCounters
}

// NewMetricFilter returns a MetricFilter for the policy set with
// [WithPolicy], by default [DefaultPolicy].
func NewMetricFilter(opts ...FilterOption) (*MetricFilter, error) {
	cfg, err := newFilterConfig(opts)
	if err != nil {
		return nil, err
	}
	return &MetricFilter{policy: cfg.policy}, nil
}

// Options returns the MeterProvider options that apply the filter: its
// [MetricFilter.View] and the exemplar filter that turns exemplars off.
// Pass them after any other option, and register no other view: the SDK
// makes one stream per matching view, so a second view would export the
// instrument a second time, unfiltered.
func (m *MetricFilter) Options() []sdkmetric.Option {
	return []sdkmetric.Option{
		sdkmetric.WithView(m.View()),
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter),
	}
}

// View returns a view that matches every instrument, so each instrument
// yields exactly one stream. An instrument whose name and kind are in the
// policy (a KindCounter entry for a Counter or ObservableCounter, a
// KindGauge entry for a Gauge or ObservableGauge) keeps its name,
// description, unit and default aggregation, with an attribute filter that
// keeps only the allowed attributes. Any other instrument gets the drop
// aggregation. String values longer than [MaxValueLen] are dropped rather
// than truncated, because a metric attribute filter cannot change values.
func (m *MetricFilter) View() sdkmetric.View {
	return func(inst sdkmetric.Instrument) (sdkmetric.Stream, bool) {
		ce := m.policy.instrument(inst.Name, inst.Kind)
		if ce == nil {
			m.drops.add(ReasonInstrumentNotInCatalog, 1)
			return sdkmetric.Stream{Name: inst.Name, Aggregation: sdkmetric.AggregationDrop{}}, true
		}
		return sdkmetric.Stream{
			Name:            inst.Name,
			Description:     inst.Description,
			Unit:            inst.Unit,
			AttributeFilter: m.attributeFilter(ce),
		}, true
	}
}

func (m *MetricFilter) attributeFilter(ce *compiledEvent) attribute.Filter {
	return func(kv attribute.KeyValue) bool {
		var out attribute.KeyValue
		why, changed := ce.check(&kv, &out)
		if why == ReasonNone && changed {
			why = ReasonInvalid // too long: a filter cannot truncate
		}
		if why != ReasonNone {
			m.drops.add(why, 1)
			return false
		}
		return true
	}
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
		if ce.event.Kind == KindCounter {
			return ce
		}
	case sdkmetric.InstrumentKindGauge, sdkmetric.InstrumentKindObservableGauge:
		if ce.event.Kind == KindGauge {
			return ce
		}
	}
	return nil
}
