package metrics

import (
	"context"

	"github.com/elmohq/telemetry/catalog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

type worker struct {
	runs   metric.Int64Counter
	errors metric.Int64Counter
}

func newWorker(meter metric.Meter, name string) *worker {
	runs, _ := meter.Int64Counter(catalog.EventPromptRuns)
	errs, _ := meter.Int64Counter(catalog.EventProviderErrors)
	meter.Int64Counter("jobs_started")        // want `counter "jobs_started" is not in the catalog, so it is never sent: add catalog.Event\{Name: "jobs_started", Kind: catalog.KindCounter, ...\} to catalog/events.go`
	meter.Int64Gauge("queue_depth")           // want `gauge "queue_depth" is not in the catalog.*Kind: catalog.KindGauge`
	meter.Int64Gauge(catalog.EventPromptRuns) // want `instrument "prompt_runs" is created as a gauge \(Int64Gauge\), but catalog entry prompt_runs is a counter`
	meter.Float64Histogram("latency_ms")      // want `instrument "latency_ms" is a histogram \(Float64Histogram\), which is never sent`
	meter.Int64UpDownCounter("in_flight")     // want `instrument "in_flight" is a up-down counter`
	meter.Int64Counter(name)                  // not a constant: not reported
	return &worker{runs: runs, errors: errs}
}

func (w *worker) record(ctx context.Context, model string) {
	w.runs.Add(ctx, 1, metric.WithAttributes(
		catalog.KeyProvider.String("openai"),
		catalog.KeyModel.String(model),
		catalog.KeyOutcome.String("ok"),
		catalog.KeyErrorType.String("timeout"), // want `attribute "error_type" is not allowed on counter "prompt_runs", so it is dropped: add catalog.Property\{Key: "error_type", ...\} to catalog entry prompt_runs in catalog/events.go \(it allows model, outcome, provider\)`
	))
	w.runs.Add(ctx, 1, metric.WithAttributes(catalog.KeyOutcome.String("failed"))) // want `value "failed" of attribute "outcome" is not one of its values in catalog entry prompt_runs \(ok, error\), so it is dropped`
	w.errors.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(
		catalog.KeyErrorType.String("timeout"),
		attribute.String("error_message", "boom"), // want `attribute "error_message" is not allowed on counter "provider_errors"`
	)))
	opts := metric.WithAttributes(attribute.String("job_id", "1")) // want `attribute "job_id" is not allowed on any counter or gauge of the catalog`
	w.runs.Add(ctx, 1, opts)
}

func gauges(meter metric.Meter, o metric.Observer) {
	brands, _ := meter.Int64ObservableGauge(catalog.EventBrands)
	o.ObserveInt64(brands, 3, metric.WithAttributes(catalog.KeyProvider.String("openai"))) // want `attribute "provider" is not allowed on gauge "brands".*\(it allows no attributes\)`
}
