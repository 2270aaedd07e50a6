// Package posthogmap is the mapping of spans and metric data points to
// PostHog events, held once for every exporter of this project: the
// exporters of package exporter, which read the OpenTelemetry SDK's spans
// and metrics, and the posthog exporter of the elmo-collector
// distribution, which reads OTLP data.
//
// It takes plain values (a name, attributes, resource attributes, trace
// and span IDs, times), so that the same span or data point becomes the
// same [Event], with the same UUID, whichever way it travels: an
// [Identity] makes a span's event ([Identity.SpanEvent]), [PointEvent] a
// data point's. It does not filter: what it is given must already have
// passed the catalog gate. The properties an event carries are listed in
// [What is collected].
//
// [What is collected]: https://github.com/elmohq/telemetry/blob/main/docs/telemetry.md#what-is-collected
package posthogmap
