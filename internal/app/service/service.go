// Package service holds what the local deployment's programs, elmo-web
// and elmo-worker, share around their own work: running until they are
// asked to stop, and starting and stopping telemetry.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/app/lifeline"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
	"github.com/elmohq/telemetry/internal/pipeline/sentlog"
	"github.com/elmohq/telemetry/otelsetup"
)

// TelemetryShutdownTimeout bounds a service's telemetry shutdown at exit:
// the delivery of its last events and the write of the spool that keeps
// what was not delivered for the next start. A hanging capture server
// never holds a stopping service longer.
const TelemetryShutdownTimeout = 800 * time.Millisecond

// SpoolPath returns the file in the deployment directory dir where the
// service name keeps the events it could not deliver, for its next start
// to send.
func SpoolPath(dir, name string) string {
	return filepath.Join(dir, "telemetry-spool-"+name+".jsonl")
}

// RunFunc is a service's body: it runs until ctx ends.
type RunFunc func(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error

// stopSignals are the signals that ask a service to stop gracefully. A
// closed terminal (SIGHUP) is one: the service stops as on Ctrl-C.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// Main runs run with the process's environment and streams until SIGINT,
// SIGTERM or SIGHUP, or, when elmo start runs the service, until elmo
// start ends (see package lifeline), then exits: with status 1 and the
// error, prefixed with the service's name, when run failed. A stop
// requested while the service was still starting (waiting for the
// database, say) is a clean stop.
func Main(name string, run RunFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	ctx, release, err := lifeline.Watch(ctx, os.Getenv)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "%s: ignoring the lifeline to elmo start: %v\n", name, err)
	case os.Getenv(lifeline.EnvVar) != "":
		// The output goes to elmo start; once it has gone, a write to
		// stdout or stderr must fail rather than end the service before
		// it has stopped cleanly.
		signal.Ignore(syscall.SIGPIPE)
	}
	err = stopIsClean(ctx, run(ctx, os.Getenv, os.Stdout, os.Stderr))
	if errors.Is(context.Cause(ctx), lifeline.ErrParentGone) {
		fmt.Fprintf(os.Stderr, "%s: stopped because %v\n", name, lifeline.ErrParentGone)
	}
	release()
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// stopIsClean returns err, or nil when err only says that ctx ended.
func stopIsClean(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// StartTelemetry starts the telemetry pipeline of the deployment service
// name, at version ("" for the build's), with its consent and identity
// from getenv, which is the deployment .env. Pipeline errors go to
// logger. Events not delivered by the shutdown are kept in the
// deployment directory (SpoolPath) and sent by the next start; a start
// with telemetry turned off deletes them. A setting telemetry cannot use
// is no error: telemetry is off for the run, with one line in the log,
// and the spool is kept. The returned function shuts the pipeline down,
// spending at most TelemetryShutdownTimeout; it may be called more than
// once. StartTelemetry fails only when name is not a service's name.
func StartTelemetry(ctx context.Context, name, version string, getenv func(string) string, logger *slog.Logger) (shutdown func(), err error) {
	opts := []otelsetup.Option{
		otelsetup.WithRole(otelsetup.RoleDeployment),
		otelsetup.WithServiceName(name),
		otelsetup.WithLogger(logger),
		otelsetup.WithGetenv(getenv),
	}
	if version != "" {
		opts = append(opts, otelsetup.WithVersion(version))
	}
	// The record of what was sent lives in the deployment directory,
	// where `elmo telemetry log --dir` finds it.
	dir := getenv(deployment.VarElmoDir)
	if dir == "" {
		dir, _ = deployment.DefaultDir()
	}
	if dir != "" {
		opts = append(opts, otelsetup.WithSentLog(sentlog.DeploymentPath(dir)))
	}
	spool := ""
	if s, err := deployment.Load(getenv); err == nil && name != "" {
		spool = SpoolPath(s.Dir, name)
		opts = append(opts, otelsetup.WithSpoolPath(spool))
	}
	// A setting telemetry cannot use turns it off for this run, in one
	// line of the log: the service starts all the same. Start fails only
	// for options, which are this function's.
	tel, err := otelsetup.Start(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("starting telemetry: %w", err)
	}
	if !tel.Enabled() && tel.Decision().Source != string(consent.SourceError) && spool != "" {
		// Collected while telemetry was on, never to be sent now: the
		// deployment opted out. Telemetry off for a setting it cannot
		// use keeps them, for a start that can send.
		if err := os.Remove(spool); err != nil && !errors.Is(err, fs.ErrNotExist) {
			logger.Warn("cannot remove the telemetry spool", "error", err)
		}
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), TelemetryShutdownTimeout)
		defer cancel()
		// Events not delivered are counted in the client's own log line,
		// which is written only when something was lost.
		if err := withoutUndelivered(tel.Shutdown(sctx)); err != nil {
			logger.Warn("telemetry did not shut down cleanly", "error", err)
		}
	}, nil
}

// withoutUndelivered returns err without the parts that only report
// undelivered events.
func withoutUndelivered(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var keep []error
		for _, e := range j.Unwrap() {
			if e = withoutUndelivered(e); e != nil {
				keep = append(keep, e)
			}
		}
		return errors.Join(keep...)
	}
	if errors.As(err, new(*exporter.SendError)) {
		return nil
	}
	return err
}
