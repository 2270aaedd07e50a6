// Package posthogexporter is the posthog exporter of the elmo-collector
// distribution: it sends OTLP traces and metrics to PostHog as the events
// Elmo's own programs send, with the mapping of package posthogmap and the
// delivery of package exporter of github.com/elmohq/telemetry.
//
// A span becomes one event named after it, a data point of a delta
// counter or of a gauge one event named after its metric; each belongs to
// the install ID (elmo.install.id) or else the deployment ID
// (elmo.deployment.id) of its resource, and carries the same UUID as the
// direct export of the same span or point, so PostHog counts an event
// once whichever way, and however often, it arrives. Data without either
// ID is not sent. The exporter does not filter: put the elmofilter
// processor before it in every pipeline.
//
// Delivery runs inside the Collector's exporterhelper: the sending queue
// (in memory, or persistent on a storage extension such as file_storage),
// retries with backoff on failure, and a timeout per request. Within a
// request, events go through exporter.Client: batched, gzip-compressed,
// to PostHog's legacy capture API (POST /batch/) or its v1 API (POST
// /i/v1/analytics/events, per-event results), with a batch refused as too
// large split in halves. What PostHog refuses for good is not retried.
package posthogexporter
