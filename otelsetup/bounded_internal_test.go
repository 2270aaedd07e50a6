package otelsetup

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/elmohq/telemetry/internal/pipeline/spool"
)

// TestDeploymentMemoryIsBoundedWhileCaptureIsDown floods a deployment
// service's pipeline while the capture endpoint refuses connections: the
// events its backlog holds stay within the spool's cap, and what does not
// fit is dropped with a count rather than held.
func TestDeploymentMemoryIsBoundedWhileCaptureIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now: every connection is refused

	env := map[string]string{
		"DEPLOYMENT_ID":     "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		"ELMO_POSTHOG_HOST": down,
		"ELMO_POSTHOG_KEY":  "phc_test",
	}
	tel, err := Start(context.Background(),
		WithRole(RoleDeployment), WithServiceName("elmo-worker"),
		WithConfigPath(filepath.Join(t.TempDir(), "config.json")),
		WithGetenv(func(k string) string { return env[k] }))
	if err != nil {
		t.Fatal(err)
	}
	if tel.client == nil || tel.backlog == nil {
		t.Fatal("no PostHog client and backlog: the test would prove nothing")
	}
	ctx := context.Background()
	tracer := otel.Tracer("test")
	runs, _ := otel.Meter("test").Int64Counter("prompt_runs")
	const rounds, perRound = 10, 1000
	maxHeld := 0
	for r := range rounds {
		for i := range perRound {
			_, span := tracer.Start(ctx, "prompt_processed")
			span.End()
			runs.Add(ctx, 1, metric.WithAttributes(attribute.String("provider", "openai"),
				attribute.String("outcome", "ok"), attribute.Int("round", r*perRound+i)))
		}
		// The exporter delivers inside ForceFlush: its error says the
		// events were not delivered, which the backlog keeps or drops.
		_ = tel.tp.ForceFlush(ctx)
		maxHeld = max(maxHeld, tel.backlog.Len())
	}
	if maxHeld > spool.MaxEvents || maxHeld == 0 {
		t.Errorf("the backlog held at most %d events; want some, and no more than its cap of %d", maxHeld, spool.MaxEvents)
	}
	if st := tel.client.Stats(); st.Dropped == 0 {
		t.Errorf("%d spans against a dead endpoint and nothing was dropped: %+v", rounds*perRound, st)
	}

	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = tel.Shutdown(sctx)
}
