// Command elmo-worker is the worker of Elmo's local deployment. Every
// WORKER_INTERVAL it takes the prompts that are due, runs each on the
// providers and models it names through their OpenAI-compatible
// chat-completions API, and stores the answers for the web app's reports.
//
// elmo start runs it with the deployment .env as its environment; see
// package internal/deployconf for its settings and internal/provider for
// the provider variables. It reports, through OpenTelemetry, one
// prompt_processed span per prompt and the prompt_runs and provider_errors
// counters: counts, provider and model names and error classes only, never
// a prompt, an answer or a key. DISABLE_TELEMETRY=1 turns that off.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/elmohq/telemetry/internal/deployconf"
	"github.com/elmohq/telemetry/internal/provider"
	"github.com/elmohq/telemetry/internal/store"
	"github.com/elmohq/telemetry/otelsetup"
	"github.com/elmohq/telemetry/processors"
)

// serviceName is the service.name of this program.
const serviceName = "elmo-worker"

// version is the release version, set with
// -ldflags "-X main.version=1.2.3"; when empty it comes from the build.
var version string

// shutdownTimeout bounds the delivery of the last telemetry at exit.
const shutdownTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// Asked to stop while still starting (waiting for the database,
		// say): that is a clean stop, not a failure.
		err = nil
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", serviceName, err)
		os.Exit(1)
	}
}

// run runs the worker until ctx ends.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	settings, err := deployconf.Load(getenv)
	if err != nil {
		return err
	}

	opts := []otelsetup.Option{
		otelsetup.WithRole(otelsetup.RoleDeployment),
		otelsetup.WithServiceName(serviceName),
		otelsetup.WithLogger(logger),
		otelsetup.WithGetenv(getenv),
	}
	if version != "" {
		opts = append(opts, otelsetup.WithVersion(version))
	}
	tel, err := otelsetup.Start(ctx, opts...)
	if err != nil {
		return fmt.Errorf("starting telemetry: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if serr := tel.Shutdown(sctx); serr != nil {
			logger.Warn("telemetry did not shut down cleanly", "error", serr)
		}
	}()

	st, err := store.Open(ctx, store.WithDir(settings.Dir), store.WithDatabaseURL(settings.DatabaseURL))
	if err != nil {
		return err
	}
	defer st.Close()

	clients, err := provider.FromEnv(getenv, processors.Providers())
	if err != nil {
		return err
	}
	w, err := newWorker(st, clients, settings, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s started: %d providers configured, checking for due prompts every %v\n",
		serviceName, len(clients), settings.WorkerInterval)
	w.loop(ctx)
	fmt.Fprintf(stdout, "%s stopped\n", serviceName)
	return nil
}

// isShutdown reports whether err comes from ctx ending.
func isShutdown(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
