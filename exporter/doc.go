// Package exporter sends Elmo's spans and metrics to PostHog as events.
//
// A [Client] delivers events to a PostHog capture API, the legacy /batch/
// or v1 ([CaptureAPI]). It speaks the protocol itself rather than linking
// PostHog's Go client, and never adds the operating system and Go version
// properties that client adds. [NewSpanExporter] and [NewMetricExporter]
// turn the spans and metric data points that passed the gate (package
// processors) into events, with the mapping of package
// exporter/posthogmap, and hand the events of each export to a [Sender],
// which delivers them before the export returns: a Client, or a [Backlog]
// in front of one, which keeps what an outage left undelivered, bounded,
// and sends it first with the next export:
//
//	client, err := exporter.NewClient(exporter.WithAPIKey(key))
//	backlog, err := exporter.NewBacklog(client, 1000)
//	spans, err := exporter.NewSpanExporter(backlog)
//	metrics, err := exporter.NewMetricExporter(backlog)
//
// The Client holds no queue: [Client.Send] batches what it is given,
// retries within its context and returns what was not delivered in a
// [*SendError]. The queue belongs to whatever calls the exporters, such
// as an OpenTelemetry batch span processor or periodic reader.
//
// [Noop] is the exporter of a build that has no PostHog API key. With
// [WithDebug], each event is written as one JSON line, exactly as it would
// be sent, and nothing is sent. When telemetry is off, no exporter is made
// at all.
//
// When events are sent, which failures are retried, and what is kept for
// later is described in [Delivery].
//
// [Delivery]: https://github.com/elmohq/telemetry/blob/main/docs/delivery.md
package exporter
