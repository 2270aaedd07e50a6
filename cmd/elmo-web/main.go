// Command elmo-web is the web app of Elmo's local deployment: a small
// JSON API and server-rendered pages to create brands, add and edit the
// prompts tracked for them (their text and the providers and models to
// run them on), and run reports over the answers the worker stored.
//
// elmo start runs it with the deployment .env as its environment. It
// listens on 127.0.0.1:WEB_PORT (default 3000), or on WEB_ADDR when set,
// and prints "elmo-web listening on http://ADDRESS" once it accepts
// connections. It stops gracefully on SIGINT, SIGTERM or SIGHUP and, when
// elmo start runs it, when elmo start ends (see internal/app/lifeline).
//
// It reports, through OpenTelemetry, the counters brands_created,
// prompts_edited (edits of existing prompts; a new prompt shows in the
// prompts_tracked gauge instead) and reports_run, the gauges brands and
// prompts_tracked, and a deployment_heartbeat span at start and every
// hour: counts and configuration names only, never a brand name, a
// prompt or a key. DISABLE_TELEMETRY=1 turns that off.
//
// API:
//
//	GET  /healthz                    200 when the database answers
//	GET  /api/brands                 list brands
//	POST /api/brands                 {"name"} create a brand
//	GET  /api/prompts?brand_id=N     list prompts, of one brand or all
//	POST /api/prompts                {"brand_id","text","targets":[{"provider","model"}]}
//	GET  /api/prompts/{id}           one prompt
//	PUT  /api/prompts/{id}           {"text","targets"} edit a prompt
//	GET  /api/prompts/{id}/responses the latest answers
//	POST /api/reports                {"brand_id"} run a report
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/app/provider"
	"github.com/elmohq/telemetry/internal/app/service"
	"github.com/elmohq/telemetry/internal/app/store"
)

// serviceName is the service.name of this program.
const serviceName = catalog.ServiceWeb

// version is the release version, set with
// -ldflags "-X main.version=1.2.3"; when empty it comes from the build.
var version string

const (
	// shutdownTimeout bounds the wait for requests in flight at exit.
	shutdownTimeout = 10 * time.Second
	// heartbeatInterval is the period of deployment_heartbeat.
	heartbeatInterval = time.Hour
)

func main() { service.Main(serviceName, run) }

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	settings, err := deployment.Load(getenv)
	if err != nil {
		return err
	}

	stopTelemetry, err := service.StartTelemetry(ctx, serviceName, version, getenv, logger)
	if err != nil {
		return err
	}
	shutdownTelemetry := sync.OnceFunc(stopTelemetry)
	defer shutdownTelemetry()

	st, err := store.Open(ctx, store.WithDir(settings.Dir), store.WithDatabaseURL(settings.DatabaseURL))
	if err != nil {
		return err
	}
	defer st.Close()

	inst, err := newInstruments(st)
	if err != nil {
		return err
	}
	defer inst.close()
	// Telemetry shuts down before the gauges' callback is unregistered and
	// the store closed: its last collection reads the counts.
	defer shutdownTelemetry()

	ln, err := net.Listen("tcp", settings.WebAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (set WEB_PORT to another port): %w", settings.WebAddr, err)
	}
	app := &app{store: st, inst: inst, log: logger}
	srv := &http.Server{
		// No span or metric per request: the catalog has no event for
		// them, so recording them would cost every request for nothing.
		Handler:           app.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		heartbeat(hbCtx, heartbeatInterval, st.Mode(), provider.Configured(getenv, catalog.Providers()))
	}()
	defer func() {
		stopHeartbeat()
		<-hbDone
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "%s listening on http://%s\n", serviceName, ln.Addr())

	select {
	case err := <-serveErr:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down the HTTP server: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP: %w", err)
	}
	fmt.Fprintf(stdout, "%s stopped\n", serviceName)
	return nil
}
