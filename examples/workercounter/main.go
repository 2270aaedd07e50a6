// Command workercounter shows how a service of the local deployment
// counts what it does: a worker loop that runs prompts on providers and
// increments the prompt_runs and provider_errors counters of the event
// catalog, with the standard OpenTelemetry metric API.
//
// The pipeline runs in the deployment role: consent comes from the
// environment (the deployment .env, where DISABLE_TELEMETRY=1 turns it
// off) and events are keyed by DEPLOYMENT_ID. Counters are summed over
// each export interval, and each attribute set becomes one event whose
// value is the sum; an attribute the catalog does not allow, such as the
// error message, is removed before summing, so it never leaves the
// process. Run it with
//
//	go run ./examples/workercounter
//	go run ./examples/workercounter -rounds 5
//
// With ELMO_POSTHOG_HOST unset it prints each event on stderr, as
// ELMO_TELEMETRY_DEBUG=1 does, and sends nothing. With ELMO_POSTHOG_HOST
// and ELMO_POSTHOG_KEY set it sends the events there. Without
// DEPLOYMENT_ID it uses a random one.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/otelsetup"
	"github.com/elmohq/telemetry/resource"
)

// meterName is the instrumentation scope of this program's counters.
const meterName = "github.com/elmohq/telemetry/examples/workercounter"

// shutdownTimeout bounds the delivery of the counters at exit.
const shutdownTimeout = 10 * time.Second

// job is one run of a prompt on a model, and how it ended.
type job struct {
	provider, model string
	errorType       string // "" when the run succeeded, else one of the catalog.Error... classes
	message         string // the provider's error message, never sent
}

// jobs are the runs of one round of the worker loop.
var jobs = []job{
	{provider: "openai", model: "gpt-4o-mini"},
	{provider: "openai", model: "gpt-4o-mini"},
	{provider: "anthropic", model: "claude-3-5-haiku"},
	{provider: "anthropic", model: "claude-3-5-haiku", errorType: "rate_limited",
		message: "429 Too Many Requests for key sk-ant-api03-abcdefghijklmnopqrstuvwxyz"},
	{provider: "openai", model: "gpt-4o-mini", errorType: "timeout",
		message: `Post "https://api.openai.com/v1/chat/completions": context deadline exceeded`},
}

func main() {
	fs := flag.NewFlagSet("workercounter", flag.ExitOnError)
	rounds := fs.Int("rounds", 2, "how many times the worker runs the jobs")
	_ = fs.Parse(os.Args[1:])
	if err := run(context.Background(), *rounds, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "workercounter: %v\n", err)
		os.Exit(1)
	}
}

// run starts telemetry as elmo-worker, runs the jobs rounds times and
// shuts telemetry down, which exports the sums.
func run(ctx context.Context, rounds int, getenv func(string) string, stdout, stderr io.Writer) error {
	getenv, debug := exampleEnv(getenv)
	if debug {
		fmt.Fprintln(stdout, "ELMO_POSTHOG_HOST is not set: each event is printed on stderr (ELMO_TELEMETRY_DEBUG=1), nothing is sent.")
	}
	if getenv(resource.VarDeploymentID) == "" {
		id := uuid.NewString()
		fmt.Fprintf(stdout, "DEPLOYMENT_ID is not set: using %s for this run.\n", id)
		getenv = withVar(getenv, resource.VarDeploymentID, id)
	}

	tel, err := otelsetup.Start(ctx,
		otelsetup.WithRole(otelsetup.RoleDeployment),
		otelsetup.WithServiceName(catalog.ServiceWorker),
		otelsetup.WithGetenv(getenv),
		otelsetup.WithStderr(stderr))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Telemetry: %s (%s); events go to %s.\n",
		map[bool]string{true: "on", false: "off"}[tel.Enabled()], tel.Decision().Reason, tel.Exporter())

	// Instruments are created once, from the global meter provider that
	// Start installed; with telemetry off they are no-ops.
	meter := otel.Meter(meterName)
	promptRuns, err := meter.Int64Counter(catalog.EventPromptRuns,
		metric.WithDescription("Prompt runs against a provider and model, by outcome."))
	if err != nil {
		return err
	}
	providerErrors, err := meter.Int64Counter(catalog.EventProviderErrors,
		metric.WithDescription("Failed provider requests, by provider and class of error."))
	if err != nil {
		return err
	}

	for round := range rounds {
		for _, j := range jobs {
			outcome := catalog.OutcomeOK
			if j.errorType != "" {
				outcome = catalog.OutcomeError
				providerErrors.Add(ctx, 1, metric.WithAttributes(
					catalog.KeyProvider.String(j.provider),
					catalog.KeyErrorType.String(j.errorType),
					// Not in the catalog: removed before the sum.
					//catalogcheck:ignore the example shows the gate removing it
					attribute.String("error_message", j.message),
				))
			}
			promptRuns.Add(ctx, 1, metric.WithAttributes(
				catalog.KeyProvider.String(j.provider),
				catalog.KeyModel.String(j.model),
				catalog.KeyOutcome.String(outcome),
			))
		}
		fmt.Fprintf(stdout, "Round %d: ran %d prompts.\n", round+1, len(jobs))
	}

	// A deployment exports every hour; Shutdown exports what is left.
	fmt.Fprintln(stdout, "Shutting telemetry down: one event per counter and attribute set, with the sum as its value.")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return tel.Shutdown(sctx)
}

// exampleEnv returns the variables the pipeline reads: getenv, plus
// ELMO_TELEMETRY_DEBUG=1 when no PostHog host is set, so that running
// the example never sends anything anywhere unless asked to.
func exampleEnv(getenv func(string) string) (func(string) string, bool) {
	if getenv(otelsetup.VarPostHogHost) != "" {
		return getenv, false
	}
	return withVar(getenv, otelsetup.VarTelemetryDebug, "1"), true
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
