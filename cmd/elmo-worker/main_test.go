package main_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/app/service"
	"github.com/elmohq/telemetry/internal/app/store"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// binary is the path of the elmo-worker program built for the tests.
var binary string

func TestMain(m *testing.M) {
	deploytest.Main(m, func(bins map[string]string) { binary = bins["elmo-worker"] },
		"github.com/elmohq/telemetry/cmd/elmo-worker")
}

// Canaries: strings that must never leave the process.
const (
	canaryBrand    = "CanaryBrand-b7e1"
	canaryPrompt   = "canary-prompt-4c2d: which anvil maker is best?"
	canaryResponse = "canary-response-9f30: CanaryBrand-b7e1 makes the best anvils"
	canaryKey      = "sk-canary-key-0d9b5e"
	canaryKey2     = "sk-canary-key-7a1c44"
)

// seed creates, in the deployment directory, a brand with one prompt that
// runs on openai and anthropic.
func seed(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := st.CreateBrand(ctx, canaryBrand)
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := st.CreatePrompt(ctx, store.Prompt{BrandID: b.ID, Text: canaryPrompt, Targets: []store.Target{
			{Provider: "openai", Model: "gpt-4o-mini"},
			{Provider: "anthropic", Model: "claude-3.5-haiku"},
		}}); err != nil {
			t.Fatal(err)
		}
	}
}

// startWorker starts elmo-worker with a healthy openai, an anthropic that
// answers 500, and telemetry sent to host.
func startWorker(t *testing.T, host string, extra map[string]string) (*deploytest.Process, map[string]string) {
	t.Helper()
	healthy := deploytest.NewProvider(200, canaryResponse)
	t.Cleanup(healthy.Close)
	failing := deploytest.NewProvider(500, "")
	t.Cleanup(failing.Close)

	env := deploytest.BaseEnv(t.TempDir())
	for k, v := range map[string]string{
		"DEPLOYMENT_ID":               "5f0c6d1e-8a4b-4c6f-9e2d-3b7a1c0e9f42",
		"ELMO_POSTHOG_HOST":           host,
		"ELMO_POSTHOG_KEY":            "phc_test",
		"OPENAI_API_KEY":              canaryKey,
		"OPENAI_BASE_URL":             healthy.URL,
		"ANTHROPIC_API_KEY":           canaryKey2,
		"ANTHROPIC_BASE_URL":          failing.URL,
		"WORKER_INTERVAL":             "200ms",
		"PROVIDER_TIMEOUT":            "10s",
		"OTEL_METRIC_EXPORT_INTERVAL": "500",
		"OTEL_BSP_SCHEDULE_DELAY":     "100",
	} {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	seed(t, env["ELMO_DIR"], 1)
	p, err := deploytest.Start(binary, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := deploytest.Context()
		defer cancel()
		_ = p.Stop(ctx)
	})
	return p, env
}

// TestPromptWithAFailingProvider is the acceptance test of the worker's
// events: a prompt on two providers, one healthy and one answering 500.
func TestPromptWithAFailingProvider(t *testing.T) {
	capture := posthogtest.NewServer()
	defer capture.Close()
	p, env := startWorker(t, capture.URL, nil)
	ctx, cancel := deploytest.Context()
	defer cancel()

	if _, err := p.Output.WaitFor(ctx, `msg="prompt processed"`, "runs=2", "ok=1", "failed=1"); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, p.Output)
	}
	// The failed run is retried on the next cycles, which report nothing
	// but counts.
	if err := p.Output.WaitForN(ctx, 2, `msg="prompt processed"`, "runs=1", "failed=1"); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, p.Output)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("elmo-worker did not stop cleanly: %v\noutput:\n%s", err, p.Output)
	}

	// The answers are stored, and the failure is recorded by class.
	st, err := store.Open(ctx, store.WithDir(env["ELMO_DIR"]))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs, err := st.Responses(ctx, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var okAnswers, serverErrors int
	for _, r := range rs {
		switch {
		case r.Provider == "openai" && r.Text == canaryResponse:
			okAnswers++
		case r.Provider == "anthropic" && r.ErrorType == "server_error":
			serverErrors++
		}
	}
	if okAnswers != 1 || serverErrors < 1 {
		t.Errorf("stored %d openai answers and %d anthropic server errors, want 1 and at least 1: %+v", okAnswers, serverErrors, rs)
	}

	events := capture.Events()
	var found bool
	for _, e := range posthogtest.Named(events, "prompt_processed") {
		pr := e.Properties
		if pr["total_runs"] == 2.0 && pr["successful_runs"] == 1.0 && pr["failed_runs"] == 1.0 {
			found = true
			if got := fmt.Sprint(pr["providers"]); got != "[anthropic openai]" {
				t.Errorf("prompt_processed providers = %s, want [anthropic openai]", got)
			}
			if got := fmt.Sprint(pr["models"]); got != "[claude-3.5-haiku gpt-4o-mini]" {
				t.Errorf("prompt_processed models = %s", got)
			}
		}
	}
	if !found {
		t.Errorf("no prompt_processed event with total_runs=2, successful_runs=1, failed_runs=1 among %d events: %v", len(events), posthogtest.Names(events))
	}
	if n := len(posthogtest.Named(events, "prompt_processed")); n != 1 {
		t.Errorf("%d prompt_processed events, want 1: the retries of a round send none", n)
	}
	if got := deploytest.Sum(events, "prompt_runs", map[string]any{"provider": "anthropic", "outcome": "error"}); got < 3 {
		t.Errorf("prompt_runs{anthropic, error} = %v, want at least 3: every retry is counted", got)
	}
	if got := deploytest.Sum(events, "prompt_runs", map[string]any{"provider": "openai", "model": "gpt-4o-mini", "outcome": "ok"}); got != 1 {
		t.Errorf("prompt_runs{openai, ok} = %v, want 1", got)
	}
	if got := deploytest.Sum(events, "prompt_runs", map[string]any{"provider": "anthropic", "outcome": "error"}); got < 1 {
		t.Errorf("prompt_runs{anthropic, error} = %v, want at least 1", got)
	}
	if got := deploytest.Sum(events, "provider_errors", map[string]any{"provider": "anthropic", "error_type": "server_error"}); got < 1 {
		t.Errorf("provider_errors{anthropic, server_error} = %v, want at least 1", got)
	}
	if got := deploytest.Sum(events, "provider_errors", map[string]any{"provider": "openai"}); got != 0 {
		t.Errorf("provider_errors{openai} = %v, want 0", got)
	}
	allowed := []string{"prompt_processed", "prompt_runs", "provider_errors"}
	for _, e := range events {
		if !slices.Contains(allowed, e.Event) {
			t.Errorf("the worker sent %q, which is not one of its catalog events", e.Event)
		}
	}

	// Nothing private reaches the capture server: not the brand, the
	// prompt, the answer, the keys or where the providers are.
	canaries := []string{canaryBrand, "canary-prompt", "canary-response", canaryKey, canaryKey2,
		strings.TrimPrefix(env["OPENAI_BASE_URL"], "http://"), strings.TrimPrefix(env["ANTHROPIC_BASE_URL"], "http://"),
		env["ELMO_DIR"]}
	for _, leak := range deploytest.Leaks(capture.Requests(), canaries...) {
		t.Error(leak)
	}
}

// TestCaptureServerDown shows that with the capture server down for the
// whole run, jobs complete and the worker stops cleanly.
func TestCaptureServerDown(t *testing.T) {
	down, err := deploytest.ClosedURL()
	if err != nil {
		t.Fatal(err)
	}
	p, env := startWorker(t, down, nil)
	ctx, cancel := deploytest.Context()
	defer cancel()
	// The failing provider's run is retried on each cycle; a few cycles
	// show the worker keeps going.
	if _, err := p.Output.WaitFor(ctx, `msg="prompt processed"`, "runs=2"); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, p.Output)
	}
	if err := p.Output.WaitForN(ctx, 2, `msg="prompt processed"`, "runs=1"); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, p.Output)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("elmo-worker did not stop cleanly: %v\noutput:\n%s", err, p.Output)
	}
	st, err := store.Open(ctx, store.WithDir(env["ELMO_DIR"]))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs, _ := st.Responses(ctx, 1, 100)
	if len(rs) < 2 {
		t.Errorf("%d responses stored, want at least 2", len(rs))
	}
	// What could not be sent is kept for the next start.
	spool, err := os.ReadFile(service.SpoolPath(env["ELMO_DIR"], "elmo-worker"))
	if err != nil || !strings.Contains(string(spool), `"prompt_runs"`) {
		t.Errorf("the spool holds no prompt_runs after a stop with PostHog down: %v\n%s", err, spool)
	}
}

// TestHangingProvider shows that a provider that never answers costs one
// timeout per run and does not stop the worker.
func TestHangingProvider(t *testing.T) {
	capture := posthogtest.NewServer()
	defer capture.Close()
	hanging := deploytest.NewHangingProvider()
	defer hanging.Close()
	p, _ := startWorker(t, capture.URL, map[string]string{
		"ANTHROPIC_BASE_URL": hanging.URL,
		"PROVIDER_TIMEOUT":   "300ms",
	})
	ctx, cancel := deploytest.Context()
	defer cancel()
	if _, err := p.Output.WaitFor(ctx, `msg="provider run failed`, "provider=anthropic", "timeout"); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, p.Output)
	}
	if _, err := p.Output.WaitFor(ctx, `msg="prompt processed"`, "runs=2", "ok=1", "failed=1"); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, p.Output)
	}
	// It keeps cycling: the failed run is retried.
	if _, err := p.Output.WaitFor(ctx, `msg="prompt processed"`, "runs=1", "failed=1"); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, p.Output)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("elmo-worker did not stop cleanly: %v\noutput:\n%s", err, p.Output)
	}
	events := capture.Events()
	if got := deploytest.Sum(events, "provider_errors", map[string]any{"provider": "anthropic", "error_type": "timeout"}); got < 1 {
		t.Errorf("provider_errors{anthropic, timeout} = %v, want at least 1; events: %v", got, posthogtest.Names(events))
	}
}

// A provider that answers 429 with Retry-After is not called again before
// that time, whatever the worker's cycle; the other prompts keep running.
func TestRateLimitedProviderIsCalledAfterRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
	}{
		{"429", 429},
		{"503", 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			throttled := deploytest.NewThrottledProvider(tc.status, "3600")
			defer throttled.Close()
			healthy := deploytest.NewProvider(200, canaryResponse)
			defer healthy.Close()
			env := deploytest.BaseEnv(t.TempDir())
			for k, v := range map[string]string{
				"DEPLOYMENT_ID":      "5f0c6d1e-8a4b-4c6f-9e2d-3b7a1c0e9f42",
				"DISABLE_TELEMETRY":  "1",
				"OPENAI_API_KEY":     canaryKey,
				"OPENAI_BASE_URL":    healthy.URL,
				"ANTHROPIC_API_KEY":  canaryKey2,
				"ANTHROPIC_BASE_URL": throttled.URL,
				"WORKER_INTERVAL":    "50ms",
				"PROMPT_INTERVAL":    "1ms",
			} {
				env[k] = v
			}
			ctx, cancel := deploytest.Context()
			defer cancel()
			st, err := store.Open(ctx, store.WithDir(env["ELMO_DIR"]))
			if err != nil {
				t.Fatal(err)
			}
			b, err := st.CreateBrand(ctx, canaryBrand)
			if err != nil {
				t.Fatal(err)
			}
			for _, target := range []store.Target{{Provider: "anthropic", Model: "claude-3.5-haiku"}, {Provider: "openai", Model: "gpt-4o-mini"}} {
				if _, err := st.CreatePrompt(ctx, store.Prompt{BrandID: b.ID, Text: canaryPrompt, Targets: []store.Target{target}}); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()

			p, err := deploytest.Start(binary, env)
			if err != nil {
				t.Fatal(err)
			}
			// Prompt 2, on the healthy provider, runs on every cycle.
			if err := p.Output.WaitForCount(ctx, 5, `msg="prompt processed"`, "prompt=2"); err != nil {
				t.Fatalf("%v\noutput:\n%s", err, p.Output)
			}
			if err := p.Stop(ctx); err != nil {
				t.Fatalf("elmo-worker did not stop cleanly: %v\noutput:\n%s", err, p.Output)
			}
			if n := throttled.Requests(); n != 1 {
				t.Errorf("the provider that asked to wait an hour got %d requests in 5 cycles, want 1\noutput:\n%s", n, p.Output)
			}
			if _, err := p.Output.WaitFor(ctx, `msg="provider run failed; it will be retried"`, "provider=anthropic", "retry_in=1h0m0s"); err != nil {
				t.Errorf("%v\noutput:\n%s", err, p.Output)
			}
		})
	}
}
