// Package elmofilterprocessor is the elmofilter processor of the
// elmo-collector distribution: the catalog gate of Elmo's telemetry
// (package processors of github.com/elmohq/telemetry) applied to OTLP
// traces and metrics in an OpenTelemetry Collector.
//
// Only spans and metric data points of the catalog pass, with only the
// attributes their catalog entry allows, each value checked by its rule
// and sent as the catalog sends it; the resource keeps only the catalog's
// resource attributes. It fails closed: whatever it cannot classify (a
// span or instrument the catalog does not name, an instrument of another
// kind, a histogram, a cumulative sum, an attribute of a type it cannot
// read) is dropped and counted in the Collector's own telemetry, never
// passed on. It has no configuration: a gateway can narrow what it
// forwards with other processors, never widen the catalog.
package elmofilterprocessor
