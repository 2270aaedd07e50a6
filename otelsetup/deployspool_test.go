package otelsetup_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/otelsetup"
)

// A deployment service that stops while PostHog cannot be reached keeps
// its last counts in its spool, and its next start sends them: a restart
// loses no counts, and the spool is gone once they are delivered.
func TestDeploymentSpoolKeepsCountsAcrossARestart(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_METRIC_EXPORT_INTERVAL"} {
		t.Setenv(k, "")
	}
	spool := filepath.Join(t.TempDir(), "telemetry-spool-elmo-worker.jsonl")
	vars := map[string]string{
		"ELMO_POSTHOG_HOST": srv.URL,
		"ELMO_POSTHOG_KEY":  "phc_test",
		"DEPLOYMENT_ID":     "5f0c6d1e-8a4b-4c6f-9e2d-3b7a1c0e9f42",
	}
	start := func() *otelsetup.Telemetry {
		t.Helper()
		tel, err := otelsetup.Start(context.Background(),
			otelsetup.WithRole(otelsetup.RoleDeployment),
			otelsetup.WithServiceName(catalog.ServiceWorker),
			otelsetup.WithVersion("1.2.3"),
			otelsetup.WithGetenv(func(k string) string { return vars[k] }),
			otelsetup.WithSpoolPath(spool))
		if err != nil {
			t.Fatal(err)
		}
		return tel
	}
	shutdown := func(tel *otelsetup.Telemetry) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
		defer cancel()
		// Undelivered events are reported, and kept.
		_ = tel.Shutdown(ctx)
	}

	// First run: PostHog refuses everything.
	srv.SetDefault(posthogtest.Respond(503))
	tel := start()
	runs, err := otel.GetMeterProvider().Meter("test").Int64Counter(catalog.EventPromptRuns)
	if err != nil {
		t.Fatal(err)
	}
	runs.Add(context.Background(), 7, metric.WithAttributes(catalog.KeyProvider.String("openai"),
		catalog.KeyModel.String("gpt-4o"), catalog.KeyOutcome.String(catalog.OutcomeOK)))
	shutdown(tel)
	if _, err := os.Stat(spool); err != nil {
		t.Fatalf("no spool after a stop with PostHog down: %v", err)
	}
	if n := len(srv.Events()); n != 0 {
		t.Fatalf("%d events accepted while the server refused them", n)
	}

	// Second run: PostHog is back; the spooled count goes out.
	srv.SetDefault(posthogtest.Accept())
	tel = start()
	shutdown(tel)
	if got := sumOf(srv.Events(), catalog.EventPromptRuns); got != 7 {
		t.Errorf("prompt_runs delivered after the restart sum to %v, want 7", got)
	}
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Errorf("the spool is still there after its events were delivered: %v", err)
	}
}

// sumOf adds the value of the events named name.
func sumOf(events []posthogtest.Event, name string) float64 {
	var sum float64
	for _, e := range posthogtest.Named(events, name) {
		v, _ := e.Properties["value"].(float64)
		sum += v
	}
	return sum
}
