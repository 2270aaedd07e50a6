// Package otelsetup wires Elmo's telemetry pipeline in one call.
//
// [Start] decides consent once per process, describes the install or the
// deployment with a resource detector (package resource), puts the catalog
// gate (package processors) in front of every exporter, exports what
// passes as PostHog events (package exporter), and installs the global
// tracer and meter providers. From then on, application code uses only
// the OpenTelemetry API:
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
// socket is opened. [WithRole] chooses between the CLI, keyed by its
// install ID, and a deployment service, keyed by its deployment ID;
// [WithPolicy] extends the catalog for a program of its own.
//
// The rules that decide consent are in [How to turn it off]; the
// variables that swap PostHog for OTLP or the console, or print each event
// instead of sending it, in [Debugging telemetry locally]; when and how
// events are sent, in [Delivery].
//
// A command of the CLI never waits on the network: Shutdown writes its
// events to a bounded spool in the state directory ($XDG_STATE_HOME/elmo,
// default ~/.local/state/elmo) within the exit budget and starts a
// background sender (WithSenderCommand, RunSender) that delivers them and
// ends within its deadline. A deployment service delivers as it goes,
// sends its counters and gauges as hourly sums
// (DefaultDeploymentMetricInterval) on every route, with a last export at
// Shutdown, and keeps what it could not deliver in the spool that
// WithSpoolPath names.
//
// Telemetry never stops a program: a setting it cannot use, such as an
// exporter this build lacks, an OTLP variable or ELMO_POSTHOG_CAPTURE,
// turns it off for the run, with one line saying why, and Start returns
// an error only for invalid options.
//
// [How to turn it off]: https://github.com/elmohq/telemetry/blob/main/docs/telemetry.md#how-to-turn-it-off
// [Debugging telemetry locally]: https://github.com/elmohq/telemetry/blob/main/docs/debugging.md
// [Delivery]: https://github.com/elmohq/telemetry/blob/main/docs/delivery.md
package otelsetup
