// Package processors is the gate: it decides, from the catalog, what
// telemetry may leave the process.
//
// A [Policy] is an allowlist made from catalog entries: [DefaultPolicy]
// from Elmo's catalog (package catalog), [NewPolicy] from entries of a
// program's own. Anything it does not name is dropped, and counted per
// [Reason] without the dropped value:
//
//   - [SpanFilter] wraps the exporting span processor and hands it, for
//     each ended span of the policy, a read-only view with only the allowed
//     attributes and no events, links or status description; other spans
//     are not passed on at all.
//   - [MetricFilter] drops the instruments outside the policy, keeps only
//     the allowed attributes of the others and turns exemplars off.
//   - [Scrub] drops a string that looks like a file path, a URL, an email
//     address, a host name or a credential, as defence in depth.
//   - [Policy.FilterResource] keeps only the allowed resource attributes.
//
// Wiring, as package otelsetup does it:
//
//	filter, err := processors.NewSpanFilter(sdktrace.NewBatchSpanProcessor(spanExp))
//	// handle err
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(filter))
//
//	mf, err := processors.NewMetricFilter()
//	// handle err
//	reader := sdkmetric.NewPeriodicReader(mf.Exporter(metricExp))
//	mp := sdkmetric.NewMeterProvider(append(mf.ExportOptions(),
//		sdkmetric.WithResource(processors.DefaultPolicy().FilterResource(res)),
//		sdkmetric.WithReader(reader))...)
//
// What the default policy lets through, event by event, is listed in
// [What is collected]; how to change it, in [The catalog].
//
// [What is collected]: https://github.com/elmohq/telemetry/blob/main/docs/telemetry.md#what-is-collected
// [The catalog]: https://github.com/elmohq/telemetry/blob/main/docs/catalog.md
package processors
