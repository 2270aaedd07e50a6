// Package otelsetup wires Elmo's telemetry pipeline in one call.
//
// Start decides consent once per process, describes the install or
// deployment with a resource detector, filters every span and metric
// through the Elmo event catalog, and exports what is left as PostHog
// events, then installs the global tracer and meter providers. From then
// on, application code uses only the OpenTelemetry API:
//
//	tel, err := otelsetup.Start(ctx, otelsetup.WithServiceName("elmo-cli"))
//	if err != nil { ... }
//	defer tel.Shutdown(context.Background())
//
//	ctx, span := otel.Tracer("elmo").Start(ctx, "cli_init")
//	defer span.End()
//
// With telemetry off, Start installs the OpenTelemetry no-op providers:
// nothing is recorded, no goroutine starts, no file is written and no
// socket is opened.
//
// The standard OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER variables
// swap PostHog for "otlp" (over HTTP), "console" or "none" for local
// debugging; the catalog gate stands in front of every exporter, for the
// resource, the span and metric names and every value, so what a local
// collector receives is what PostHog would. ELMO_POSTHOG_HOST and ELMO_POSTHOG_KEY
// choose the PostHog project, and ELMO_TELEMETRY_DEBUG=1 prints each event
// as it would be sent, and sends nothing, whether telemetry is on or off.
//
// In the CLI role, Shutdown spends at most the exit budget delivering, the
// spool write included; what is not acknowledged by then is kept in a
// bounded spool file in the state directory ($XDG_STATE_HOME/elmo, default
// ~/.local/state/elmo) and sent by a later run. A
// deployment service sends its counters and gauges as hourly sums
// (DefaultDeploymentMetricInterval), on every route, with a last export
// at Shutdown, and keeps what it could not deliver in the spool that
// WithSpoolPath names; the CLI exports them at Shutdown only.
//
// Telemetry never stops a program: a setting it cannot use, such as an
// exporter this build lacks, an OTLP variable or ELMO_POSTHOG_CAPTURE,
// turns it off for the run, with one line saying why, and Start returns
// an error only for invalid options.
package otelsetup
