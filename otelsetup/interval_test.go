package otelsetup_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/otelsetup"
)

// An OTEL_METRIC_EXPORT_INTERVAL that is not a positive whole number of
// milliseconds is refused in one line that names it and its value, in the
// CLI on stderr and in a service in its log, and the default is kept:
// telemetry stays on, and the counters still go at Shutdown (through the
// background sender, for the CLI). The SDK's
// own complaint about the value, which would say its default of a minute
// applies, never shows.
func TestRefusedMetricIntervalKeepsTheDefault(t *testing.T) {
	for _, role := range []otelsetup.Role{otelsetup.RoleCLI, otelsetup.RoleDeployment} {
		for _, value := range []string{"abc", "0", "-5", "1.5", "9223372036855"} {
			t.Run(role.String()+"/"+value, func(t *testing.T) {
				e := newEnv(t).consentGiven()
				t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", value)
				var stderr, logs bytes.Buffer
				opts := []otelsetup.Option{
					otelsetup.WithRole(role),
					otelsetup.WithStderr(&stderr),
					otelsetup.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
				}
				if role == otelsetup.RoleDeployment {
					e.vars["DEPLOYMENT_ID"] = "0b6d3f7e-2c1a-4e8b-9f5d-6a4c2e1b0d93"
					opts = append(opts, otelsetup.WithServiceName(catalog.ServiceWeb))
				}
				tel := e.start(opts...)
				if !tel.Enabled() || tel.Exporter() != otelsetup.ExporterPostHog {
					t.Fatalf("decision %v, exporter %q; want on, to PostHog", tel.Decision(), tel.Exporter())
				}
				brands, err := otel.GetMeterProvider().Meter("test").Int64Counter(catalog.EventBrandsCreated)
				if err != nil {
					t.Fatal(err)
				}
				brands.Add(context.Background(), 2)
				if err := tel.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}

				said, quiet := stderr.String(), logs.String()
				if role == otelsetup.RoleDeployment {
					said, quiet = quiet, said
				}
				if strings.Count(said, "\n") != 1 || strings.Count(said, "OTEL_METRIC_EXPORT_INTERVAL") != 1 ||
					!strings.Contains(said, value) || !strings.Contains(said, "refused") {
					t.Errorf("want one line saying OTEL_METRIC_EXPORT_INTERVAL=%q is refused; said:\n%s", value, said)
				}
				if quiet != "" {
					t.Errorf("said elsewhere too:\n%s", quiet)
				}
				if role == otelsetup.RoleCLI {
					// The command spooled its counts; its sender delivers
					// them.
					e.send()
				}
				if got := sumOf(e.server.Events(), catalog.EventBrandsCreated); got != 2 {
					t.Errorf("brands_created delivered at Shutdown sums to %v, want 2", got)
				}
			})
		}
	}
}
