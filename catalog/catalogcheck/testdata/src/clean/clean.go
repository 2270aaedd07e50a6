// Package clean uses only what the catalog allows: nothing is reported.
package clean

import (
	"context"

	"github.com/elmohq/telemetry/catalog"
	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

func work(ctx context.Context, tracer trace.Tracer, meter metric.Meter, provider, model string, names []string) {
	_, span := tracer.Start(ctx, catalog.EventPromptProcessed)
	span.SetAttributes(
		catalog.KeyProviders.StringSlice(names),
		catalog.KeyModels.StringSlice([]string{"my-own-model"}), // a rule, not values
		attribute.Int("total_runs", 2),
	)
	span.End()

	_, hb := tracer.Start(ctx, catalog.EventDeploymentHeartbeat, trace.WithAttributes(
		catalog.KeyPostgresMode.String("external"),
	))
	hb.End()

	runs, _ := meter.Int64Counter(catalog.EventPromptRuns)
	runs.Add(ctx, 1, metric.WithAttributes(
		catalog.KeyProvider.String(provider),
		catalog.KeyModel.String(model),
		catalog.KeyOutcome.String("error"),
	))
}

var status = &cobra.Command{
	Use: "status",
	RunE: func(cmd *cobra.Command, _ []string) error {
		trace.SpanFromContext(cmd.Context()).SetAttributes(catalog.KeyExitCode.Int(0))
		return nil
	},
}
