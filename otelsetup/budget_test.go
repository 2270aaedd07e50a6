package otelsetup_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/otelsetup"
)

// eventBudget is the most a deployment running the reference workload
// may send in a day.
const eventBudget = 300

// The reference workload: 1000 prompts an hour on 3 providers with 2
// models each, a worker cycle every 60 s (at most 100 prompts a cycle),
// and a few edits in the web app during the working day.
const (
	refPromptsPerHour  = 1000
	refCyclesPerHour   = 60
	refPromptsPerCycle = 100
	refEditHours       = 8 // one prompt edit an hour, 9:00 to 17:00
	refReportsPerDay   = 2
)

var (
	refProviders = []string{"openai", "anthropic", "google"}
	refModels    = map[string][]string{
		"openai":    {"gpt-4o", "gpt-4o-mini"},
		"anthropic": {"claude-3.5-sonnet", "claude-3.5-haiku"},
		"google":    {"gemini-1.5-pro", "gemini-1.5-flash"},
	}
)

// simulatedDay is one deployment (elmo-web and elmo-worker, each with its
// own pipeline) running the reference workload for 24 simulated hours,
// recording what the two services record, as cmd/elmo-web and
// cmd/elmo-worker do. Each simulated hour ends with an export, as the
// deployment's hourly metric reader and the web app's hourly heartbeat
// do; a day is then shut down, as at a stop. It returns the events the
// capture server received.
//
// failing names a provider whose every run fails and is retried on every
// worker cycle; "" for none.
func simulatedDay(tb testing.TB, failing string) []posthogtest.Event {
	tb.Helper()
	srv := posthogtest.NewServer()
	defer srv.Close()
	tb.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "") // the default: hourly
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME"} {
		tb.Setenv(k, "")
	}
	vars := map[string]string{
		"ELMO_POSTHOG_HOST": srv.URL,
		"ELMO_POSTHOG_KEY":  "phc_test",
		"DEPLOYMENT_ID":     "5f0c6d1e-8a4b-4c6f-9e2d-3b7a1c0e9f42",
	}
	start := func(service string) (*otelsetup.Telemetry, metric.Meter, trace.Tracer) {
		tel, err := otelsetup.Start(context.Background(),
			otelsetup.WithRole(otelsetup.RoleDeployment),
			otelsetup.WithServiceName(service),
			otelsetup.WithVersion("1.2.3"),
			otelsetup.WithGetenv(func(k string) string { return vars[k] }),
			otelsetup.WithSpoolPath(""))
		if err != nil {
			tb.Fatal(err)
		}
		// Each service is a process of its own: keep its providers.
		return tel, otel.GetMeterProvider().Meter("sim"), otel.GetTracerProvider().Tracer("sim")
	}
	ctx := context.Background()

	web, webMeter, webTracer := start(catalog.ServiceWeb)
	edited, _ := webMeter.Int64Counter(catalog.EventPromptsEdited)
	reports, _ := webMeter.Int64Counter(catalog.EventReportsRun)
	brands, _ := webMeter.Int64ObservableGauge(catalog.EventBrands)
	tracked, _ := webMeter.Int64ObservableGauge(catalog.EventPromptsTracked)
	_, _ = webMeter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(brands, 3)
		o.ObserveInt64(tracked, refPromptsPerHour)
		return nil
	}, brands, tracked)

	worker, workerMeter, workerTracer := start(catalog.ServiceWorker)
	runs, _ := workerMeter.Int64Counter(catalog.EventPromptRuns)
	errs, _ := workerMeter.Int64Counter(catalog.EventProviderErrors)
	run := func(prov, model string, ok bool) {
		outcome := catalog.OutcomeOK
		if !ok {
			outcome = catalog.OutcomeError
			errs.Add(ctx, 1, metric.WithAttributes(catalog.KeyProvider.String(prov), catalog.KeyErrorType.String("server_error")))
		}
		runs.Add(ctx, 1, metric.WithAttributes(catalog.KeyProvider.String(prov), catalog.KeyModel.String(model), catalog.KeyOutcome.String(outcome)))
	}
	// firstRound is the worker's prompt_processed: the first run of a new
	// or edited prompt, never its later rounds or retries.
	firstRound := func() {
		_, span := workerTracer.Start(ctx, catalog.EventPromptProcessed)
		span.SetAttributes(catalog.KeyProviders.StringSlice(refProviders), catalog.KeyTotalRuns.Int(6))
		span.End()
	}

	for hour := range 24 {
		_, beat := webTracer.Start(ctx, catalog.EventDeploymentHeartbeat, trace.WithAttributes(
			catalog.KeyPostgresMode.String("embedded"), catalog.KeyProviders.StringSlice(refProviders)))
		beat.End()
		if hour >= 9 && hour < 9+refEditHours {
			edited.Add(ctx, 1)
			firstRound()
		}
		if hour == 10 || hour == 15 {
			reports.Add(ctx, refReportsPerDay/2)
		}
		// Every prompt's round, once an hour.
		for range refPromptsPerHour {
			for _, prov := range refProviders {
				for _, model := range refModels[prov] {
					run(prov, model, prov != failing)
				}
			}
		}
		if failing != "" {
			// The rounds with a failed run stay due: every cycle retries
			// the failing runs of as many prompts as it takes.
			for range refCyclesPerHour {
				for range refPromptsPerCycle {
					for _, model := range refModels[failing] {
						run(failing, model, false)
					}
				}
			}
		}
		for _, tel := range []*otelsetup.Telemetry{web, worker} {
			if err := tel.ForceFlush(ctx); err != nil {
				tb.Fatalf("hour %d: %v", hour, err)
			}
		}
	}
	for _, tel := range []*otelsetup.Telemetry{web, worker} {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := tel.Shutdown(sctx)
		cancel()
		if err != nil {
			tb.Fatal(err)
		}
	}
	return srv.Events()
}

// TestEventBudget runs the reference workload for a simulated day and
// checks what a deployment sends: at most eventBudget events, a provider
// that keeps failing adds a bounded number (new attribute sets, once an
// hour) rather than events per failed run or retry, and the counters
// keep their meaning: their values add up to every run.
func TestEventBudget(t *testing.T) {
	const runsPerHour = refPromptsPerHour * 6
	tests := []struct {
		name     string
		failing  string
		max      int
		wantRuns float64
		wantErrs float64
	}{
		{"healthy", "", eventBudget, 24 * runsPerHour, 0},
		// Each hour adds at most the failing provider's error sets: two
		// models in prompt_runs and one class in provider_errors.
		{"one provider always failing", "google", eventBudget + 3*24, 24 * (runsPerHour + refCyclesPerHour*refPromptsPerCycle*2),
			24 * (refPromptsPerHour*2 + refCyclesPerHour*refPromptsPerCycle*2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := simulatedDay(t, tt.failing)
			perName := map[string]int{}
			var runs, errs float64
			for _, e := range events {
				perName[e.Event]++
				v, _ := e.Properties["value"].(float64)
				switch e.Event {
				case catalog.EventPromptRuns:
					runs += v
				case catalog.EventProviderErrors:
					errs += v
				}
			}
			t.Logf("events per simulated day: %d %v", len(events), perName)
			if len(events) > tt.max {
				t.Errorf("%d events in a simulated day, want at most %d: %v", len(events), tt.max, perName)
			}
			if runs != tt.wantRuns || errs != tt.wantErrs {
				t.Errorf("prompt_runs sum to %v and provider_errors to %v, want %v and %v", runs, errs, tt.wantRuns, tt.wantErrs)
			}
			if n := perName[catalog.EventPromptProcessed]; n != refEditHours {
				t.Errorf("%d prompt_processed events, want %d (one per edited prompt)", n, refEditHours)
			}
		})
	}
}
