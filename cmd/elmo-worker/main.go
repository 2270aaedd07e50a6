// Command elmo-worker is the worker of Elmo's local deployment. Every
// WORKER_INTERVAL it takes the prompts that are due, runs each on the
// providers and models it names through their OpenAI-compatible
// chat-completions API, and stores the answers for the web app's reports.
//
// elmo start runs it with the deployment .env as its environment; see
// package internal/app/deployment for its settings and internal/app/provider for
// the provider variables. It stops gracefully on SIGINT, SIGTERM or
// SIGHUP and, when elmo start runs it, when elmo start ends (see
// internal/app/lifeline). It reports, through OpenTelemetry, a
// prompt_processed span for the first run of a new or edited prompt, and
// the prompt_runs and provider_errors counters, sent as hourly sums:
// counts, provider and model names and error classes only, never a
// prompt, an answer or a key. DISABLE_TELEMETRY=1 turns that off.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/app/provider"
	"github.com/elmohq/telemetry/internal/app/service"
	"github.com/elmohq/telemetry/internal/app/store"
)

// serviceName is the service.name of this program.
const serviceName = catalog.ServiceWorker

// version is the release version, set with
// -ldflags "-X main.version=1.2.3"; when empty it comes from the build.
var version string

func main() { service.Main(serviceName, run) }

// run runs the worker until ctx ends.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	settings, err := deployment.Load(getenv)
	if err != nil {
		return err
	}

	shutdownTelemetry, err := service.StartTelemetry(ctx, serviceName, version, getenv, logger)
	if err != nil {
		return err
	}
	defer shutdownTelemetry()

	st, err := store.Open(ctx, store.WithDir(settings.Dir), store.WithDatabaseURL(settings.DatabaseURL))
	if err != nil {
		return err
	}
	defer st.Close()

	clients, err := provider.FromEnv(getenv, catalog.Providers())
	if err != nil {
		return err
	}
	w, err := newWorker(st, clients, settings, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s started: %s configured, checking for due prompts every %v\n",
		serviceName, countProviders(len(clients)), settings.WorkerInterval)
	w.loop(ctx)
	fmt.Fprintf(stdout, "%s stopped\n", serviceName)
	return nil
}

// countProviders says how many providers are configured, in words.
func countProviders(n int) string {
	switch n {
	case 0:
		return "no providers"
	case 1:
		return "1 provider"
	}
	return fmt.Sprintf("%d providers", n)
}

// isShutdown reports whether err comes from ctx ending.
func isShutdown(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
