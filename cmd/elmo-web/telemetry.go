package main

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/store"
)

// instrumentationName names this program's tracer and meter.
const instrumentationName = "github.com/elmohq/telemetry/cmd/elmo-web"

// gaugeTimeout bounds the count query behind the gauges at each export.
const gaugeTimeout = 5 * time.Second

// instruments are the web app's feature counters and gauges.
type instruments struct {
	brandsCreated metric.Int64Counter
	promptsEdited metric.Int64Counter
	reportsRun    metric.Int64Counter
	gauges        metric.Registration
}

// newInstruments creates the counters, and the gauges brands and
// prompts_tracked, which read their counts from st when metrics are
// collected, never on a request's path.
func newInstruments(st *store.Store) (*instruments, error) {
	meter := otel.Meter(instrumentationName)
	var (
		in  instruments
		err error
	)
	counter := func(name, desc string) metric.Int64Counter {
		if err != nil {
			return nil
		}
		var c metric.Int64Counter
		c, err = meter.Int64Counter(name, metric.WithDescription(desc))
		if err != nil {
			err = fmt.Errorf("creating the %s counter: %w", name, err)
		}
		return c
	}
	in.brandsCreated = counter(catalog.EventBrandsCreated, "Brands created in the web app.")
	in.promptsEdited = counter(catalog.EventPromptsEdited, "Existing prompts edited in the web app.")
	in.reportsRun = counter(catalog.EventReportsRun, "Reports run in the web app.")
	if err != nil {
		return nil, err
	}
	brands, err := meter.Int64ObservableGauge(catalog.EventBrands,
		metric.WithDescription("Number of brands the deployment holds."))
	if err != nil {
		return nil, fmt.Errorf("creating the %s gauge: %w", catalog.EventBrands, err)
	}
	prompts, err := meter.Int64ObservableGauge(catalog.EventPromptsTracked,
		metric.WithDescription("Number of prompts the deployment tracks."))
	if err != nil {
		return nil, fmt.Errorf("creating the %s gauge: %w", catalog.EventPromptsTracked, err)
	}
	in.gauges, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, gaugeTimeout)
		defer cancel()
		nb, np, err := st.Counts(ctx)
		if err != nil {
			return err
		}
		o.ObserveInt64(brands, nb)
		o.ObserveInt64(prompts, np)
		return nil
	}, brands, prompts)
	if err != nil {
		return nil, fmt.Errorf("registering the gauges: %w", err)
	}
	return &in, nil
}

// close unregisters the gauges' callback.
func (in *instruments) close() { _ = in.gauges.Unregister() }

// heartbeat emits a deployment_heartbeat span at once and then every
// interval until ctx ends.
func heartbeat(ctx context.Context, interval time.Duration, postgresMode string, providers []string) {
	tracer := otel.Tracer(instrumentationName)
	beat := func() {
		_, span := tracer.Start(context.WithoutCancel(ctx), catalog.EventDeploymentHeartbeat,
			trace.WithNewRoot(),
			trace.WithAttributes(
				catalog.KeyPostgresMode.String(postgresMode),
				catalog.KeyProviders.StringSlice(providers),
			))
		span.End()
	}
	beat()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			beat()
		}
	}
}
