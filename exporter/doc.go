// Package exporter sends Elmo's spans and metrics to PostHog as events.
//
// A process creates one Client, which owns the connection to PostHog, and
// hands it to a SpanExporter and a MetricExporter:
//
//	client, err := exporter.NewClient(exporter.WithAPIKey(key))
//	spans, err := exporter.NewSpanExporter(client)
//	metrics, err := exporter.NewMetricExporter(client)
//	...
//	// at exit: shut the providers down (which hands the exporters what they
//	// hold and stops them), then deliver and close:
//	err = client.Shutdown(ctx)
//
// Exporting never waits on the network: events are queued, batched in the
// background, and delivered by the Client to either of PostHog's capture
// APIs (WithCaptureAPI): the legacy /batch/,
// the default, or v1, whose per-event results are honoured (only events
// the server asks to retry are sent again, under the same request ID).
// Requests of 4 KiB or more are gzip-compressed. They are retried after
// network errors, 5xx and 408 (and 429 with legacy) with exponential
// backoff that honours Retry-After, except that once Shutdown has begun a
// request that cannot connect is not retried. Other 4xx answers are not
// retried; a batch refused as too large is split in halves, and a single
// event refused so is dropped. At most WithMaxUploads requests (2 by
// default) are open at once.
// The Client speaks PostHog's capture protocol itself, as PostHog's Go
// client does but without linking it; it never sends the operating system
// and Go version properties that client adds. An exporter's Shutdown
// stops that exporter only: the Client belongs to whoever created it, who
// shuts it down last, after the providers, and whose Client.Shutdown
// delivers what is queued. Client.Shutdown may be called more than once.
//
// Every event handed to a Client is accounted for: acknowledged by the
// server, refused by it for good, dropped before sending with a count (full
// queue, no distinct ID), or reported as undelivered. Client.Flush and
// Client.Shutdown return once every event is accounted for or their context
// ends; undelivered events go to the hook set with WithUndelivered, so the
// caller can keep them and send them again later with Client.Enqueue.
// Because every event's UUID is derived from what it describes, such a
// second delivery never counts twice.
//
// Client.Send is the delivery of a caller that keeps events itself, such
// as the sending queue of the elmo-collector's posthog exporter: it sends
// at once, waits for each event's outcome, and returns what was not
// delivered, telling apart what PostHog refused for good (ErrRejected).
// The mapping of spans and data points to events lives in
// exporter/posthogmap, which that exporter shares.
//
// WithDebug writes each event as one JSON line, exactly as it would be
// sent, and sends nothing; when the gate in processors explains what it
// removed (processors.WithDropNotes), its notes follow the event, one
// line each starting with NotePrefix. Noop is the exporter of a build that
// has no PostHog API key: it drops everything. When telemetry is off, no
// exporter is made at all.
package exporter
