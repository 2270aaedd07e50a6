// Package metric is a stub of go.opentelemetry.io/otel/metric.
package metric

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
)

type InstrumentOption interface{ inst() }

type MeasurementOption interface{ measure() }

type AddOption = MeasurementOption
type RecordOption = MeasurementOption
type ObserveOption = MeasurementOption

type attrOption struct{}

func (attrOption) measure() {}

func WithAttributes(kvs ...attribute.KeyValue) MeasurementOption { return attrOption{} }
func WithAttributeSet(s attribute.Set) MeasurementOption         { return attrOption{} }

type Int64Counter interface {
	Add(ctx context.Context, n int64, opts ...AddOption)
}

type Float64Counter interface {
	Add(ctx context.Context, n float64, opts ...AddOption)
}

type Int64Gauge interface {
	Record(ctx context.Context, n int64, opts ...RecordOption)
}

type Float64Histogram interface {
	Record(ctx context.Context, n float64, opts ...RecordOption)
}

type Int64UpDownCounter interface {
	Add(ctx context.Context, n int64, opts ...AddOption)
}

type Observable interface{ observable() }

type Int64ObservableGauge interface{ Observable }

type Observer interface {
	ObserveInt64(o Observable, v int64, opts ...ObserveOption)
}

type Meter interface {
	Int64Counter(name string, opts ...InstrumentOption) (Int64Counter, error)
	Float64Counter(name string, opts ...InstrumentOption) (Float64Counter, error)
	Int64Gauge(name string, opts ...InstrumentOption) (Int64Gauge, error)
	Int64ObservableGauge(name string, opts ...InstrumentOption) (Int64ObservableGauge, error)
	Float64Histogram(name string, opts ...InstrumentOption) (Float64Histogram, error)
	Int64UpDownCounter(name string, opts ...InstrumentOption) (Int64UpDownCounter, error)
}
