// Command otlpdebug shows how to see Elmo's telemetry in a local
// OpenTelemetry Collector or Jaeger instead of sending it to PostHog.
//
// The standard OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER variables
// swap the exporter (otlp, console or none); the event catalog applies to
// every exporter, so what reaches the collector is exactly what would
// reach PostHog: catalog spans with their allowed attributes, on an
// allowlisted resource. This program records, as the worker would, one
// prompt_processed span (in the catalog) with a child provider_request
// span (not in the catalog), an attribute the catalog does not allow
// (the prompt text) and a recorded error, and exports them over OTLP/HTTP.
// Only the prompt_processed span arrives, without the prompt and the
// error.
//
// Unless set, the program uses OTEL_TRACES_EXPORTER=otlp,
// OTEL_METRICS_EXPORTER=none and
// OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318. Start a receiver,
// then run it:
//
//	# without Docker: this project's Collector, printing what it receives
//	./scripts/build-collector
//	bin/elmo-collector --config examples/otlpdebug/otelcol.yaml
//
//	# or the upstream Collector
//	docker run --rm -p 4318:4318 \
//	  -v "$PWD/examples/otlpdebug/otelcol.yaml:/etc/otelcol/config.yaml" \
//	  otel/opentelemetry-collector:latest --config /etc/otelcol/config.yaml
//
//	# or Jaeger v2, then open http://localhost:16686 and pick elmo-worker
//	docker run --rm -p 16686:16686 -p 4318:4318 jaegertracing/jaeger:latest
//
//	go run ./examples/otlpdebug
//
// The same variables work for the real programs, for example
// OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 elmo version.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/otelsetup"
	"github.com/elmohq/telemetry/resource"
)

// tracerName is the instrumentation scope of this program's spans.
const tracerName = "github.com/elmohq/telemetry/examples/otlpdebug"

// shutdownTimeout bounds the delivery of the spans at exit; the OTLP
// exporter retries for longer when no collector listens.
const shutdownTimeout = 10 * time.Second

// defaults are the variables this program sets when they are unset.
var defaults = []struct{ key, value string }{
	{"OTEL_TRACES_EXPORTER", "otlp"},
	{"OTEL_METRICS_EXPORTER", "none"},
	// Without a scheme the OTLP exporter would use https.
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318"},
}

func main() {
	// The OTEL_* variables are read from the process environment by the
	// OpenTelemetry SDK.
	for _, d := range defaults {
		if os.Getenv(d.key) == "" {
			_ = os.Setenv(d.key, d.value)
		}
	}
	if err := run(context.Background(), os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "otlpdebug: %v\n", err)
		os.Exit(1)
	}
}

// run starts telemetry as elmo-worker, records the spans and shuts
// telemetry down, which exports them.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	if getenv(resource.VarDeploymentID) == "" {
		id := uuid.NewString()
		fmt.Fprintf(stdout, "DEPLOYMENT_ID is not set: using %s for this run.\n", id)
		getenv = withVar(getenv, resource.VarDeploymentID, id)
	}
	tel, err := otelsetup.Start(ctx,
		otelsetup.WithRole(otelsetup.RoleDeployment),
		otelsetup.WithServiceName(catalog.ServiceWorker),
		otelsetup.WithGetenv(getenv),
		otelsetup.WithStderr(stderr),
		// Export errors (no collector listening, for one) go to stderr.
		otelsetup.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	if err != nil {
		return err
	}
	if !tel.Enabled() {
		fmt.Fprintf(stdout, "Telemetry is off (%s): nothing is exported.\n", tel.Decision().Reason)
		return nil
	}
	fmt.Fprintf(stdout, "Exporting spans with OTEL_TRACES_EXPORTER=%s to %s.\n",
		tel.Exporter(), os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))

	tracer := otel.Tracer(tracerName)
	ctx, span := tracer.Start(ctx, catalog.EventPromptProcessed)
	span.SetAttributes(
		catalog.KeyProviders.StringSlice([]string{"openai", "anthropic"}),
		catalog.KeyModels.StringSlice([]string{"gpt-4o-mini", "claude-3-5-haiku"}),
		catalog.KeyTotalRuns.Int(2),
		catalog.KeySuccessfulRuns.Int(1),
		catalog.KeyFailedRuns.Int(1),
		// Not in the catalog: dropped.
		//catalogcheck:ignore the example shows the gate dropping it
		attribute.String("prompt", "Which CRM do small agencies recommend?"),
	)
	for _, provider := range []string{"openai", "anthropic"} {
		// Not in the catalog: the whole span is dropped.
		//catalogcheck:ignore the example shows the gate dropping it
		_, child := tracer.Start(ctx, "provider_request")
		child.SetAttributes(catalog.KeyProvider.String(provider))
		child.End()
	}
	// Span events (logs, exceptions, stack traces) are always dropped.
	span.RecordError(errors.New("anthropic: 429 Too Many Requests"))
	span.SetStatus(codes.Error, "one run failed")
	span.End()
	fmt.Fprintln(stdout, "Recorded prompt_processed with a child provider_request span per provider.")

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := tel.Shutdown(sctx); err != nil {
		return fmt.Errorf("exporting the spans (is a collector listening on %s? see examples/README.md): %w",
			os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), err)
	}
	fmt.Fprintln(stdout, "Done: the collector shows one prompt_processed span, without the prompt, the error or the provider_request spans.")
	fmt.Fprintln(stdout, "(A warning above means the export failed: start a collector first.)")
	return nil
}

// withVar returns getenv with key set to value.
func withVar(getenv func(string) string, key, value string) func(string) string {
	return func(k string) string {
		if k == key {
			return value
		}
		return getenv(k)
	}
}
