package spans

import (
	"context"
	"errors"

	"github.com/elmohq/telemetry/catalog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

func names(ctx context.Context, tracer trace.Tracer, name string) {
	tracer.Start(ctx, "provider_request")      // want `span "provider_request" is not in the catalog, so it is never sent: add catalog.Event\{Name: "provider_request", Kind: catalog.KindSpan, ...\} to catalog/events.go`
	tracer.Start(ctx, catalog.EventPromptRuns) // want `span "prompt_runs" is a counter in catalog entry prompt_runs`
	tracer.Start(ctx, "cli_Export")            // want `span "cli_Export" is not in the catalog`

	// Catalogued: not reported.
	tracer.Start(ctx, catalog.EventPromptProcessed)
	tracer.Start(ctx, "cli_export") // the cli_<command> family
	// Not a constant: the runtime gate decides.
	tracer.Start(ctx, name)

	// The attributes of a span reported where it starts are not reported
	// again.
	_, child := tracer.Start(ctx, "provider_call", trace.WithAttributes(attribute.String("x", "y"))) // want `span "provider_call" is not in the catalog`
	child.SetAttributes(attribute.String("url", "x"))
}

func knownEvent(ctx context.Context, tracer trace.Tracer, key string, steps []string) {
	ctx, span := tracer.Start(ctx, catalog.EventPromptProcessed,
		trace.WithAttributes(
			catalog.KeyTotalRuns.Int(1),
			attribute.String("prompt", "text"), // want `attribute "prompt" is not allowed on span "prompt_processed", so it is dropped: add catalog.Property\{Key: "prompt", ...\} to catalog entry prompt_processed in catalog/events.go`
		))
	defer span.End()
	span.SetAttributes(
		catalog.KeyModels.StringSlice([]string{"gpt-4o"}),
		catalog.KeyExitCode.Int(0),                                   // want `attribute "exit_code" is not allowed on span "prompt_processed".*catalog entry prompt_processed .*\(it allows failed_runs, models, providers, successful_runs, total_runs\)`
		catalog.KeyTotalRuns.String("2"),                             // want `attribute "total_runs" is set as a string, but catalog entry prompt_processed declares it int, so it is dropped`
		catalog.KeyProviders.StringSlice([]string{"openai", "acme"}), // want `value "acme" of attribute "providers" is not one of its values in catalog entry prompt_processed \(.*\), so it is sent as "other"`
		attribute.String(key, "v"),                                   // not a constant key: not reported
	)

	heartbeat := []attribute.KeyValue{catalog.KeyPostgresMode.String("embedded")}
	heartbeat = append(heartbeat, catalog.KeyPostgresMode.String("sqlite")) // want `value "sqlite" of attribute "postgres_mode" is not one of its values in catalog entry deployment_heartbeat \(embedded, external\), so it is dropped`
	_, hb := tracer.Start(ctx, catalog.EventDeploymentHeartbeat)
	hb.SetAttributes(heartbeat...)

	// Span events are always dropped: their attributes are not checked.
	span.AddEvent("retry", trace.WithAttributes(attribute.String("attempt_error", "x")))
	span.RecordError(errors.New("x"), trace.WithAttributes(attribute.String("stack", "x")))
}

// unknownSpan sets attributes on a span whose event is not known here:
// a key that no span of the catalog allows is reported, one that some span
// allows is not.
func unknownSpan(ctx context.Context, span trace.Span) {
	span.SetAttributes(
		attribute.String("output_path", "/tmp/x"), // want `attribute "output_path" is not allowed on any span of the catalog, so it is dropped`
		catalog.KeyExitCode.Int(1),
		attribute.Bool("completed", true),
	)
	trace.SpanFromContext(ctx).SetAttributes(attribute.Int64Slice("exit_code", nil))     // want `attribute "exit_code" is set as a int\[\]`
	opts := []trace.SpanStartOption{trace.WithAttributes(attribute.String("user", "x"))} // want `attribute "user" is not allowed on any span of the catalog`
	_ = opts
}
