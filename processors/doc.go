// Package processors decides what telemetry may leave the machine.
//
// It holds the Elmo event catalog ([Catalog]): every event Elmo sends, the
// properties each may carry, their types and enumerated values, and what
// each is for. The catalog is the only definition; [DefaultPolicy] enforces
// it, and the CLI's "elmo telemetry events" command and the documentation
// print it.
//
// A [Policy] is an allowlist. Anything it does not name is dropped:
//
//   - [SpanFilter] is a span processor that wraps the exporting processor
//     and hands it, for each ended span in the policy, a read-only view
//     with only the allowed attributes and no events, links or status
//     description. Other spans are not passed on at all.
//   - [MetricFilter] gives a MeterProvider a view that drops every
//     instrument not in the catalog and turns exemplars off, and wraps its
//     exporter so that each export keeps only the allowed attributes.
//   - [Scrub] checks every string value that survives the key allowlist
//     and drops values that look like file paths, URLs, email addresses,
//     host names or credentials, as defence in depth against
//     instrumentation mistakes.
//
// Both filters count what they drop, per [Reason], without keeping the
// dropped values.
//
// Wiring, in outline:
//
//	filter, err := processors.NewSpanFilter(sdktrace.NewBatchSpanProcessor(exp))
//	// handle err
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(filter))
//
//	mf, err := processors.NewMetricFilter()
//	// handle err
//	mp := sdkmetric.NewMeterProvider(append([]sdkmetric.Option{
//		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mf.Exporter(exp))),
//		sdkmetric.WithResource(processors.DefaultPolicy().FilterResource(res)),
//	}, mf.ExportOptions()...)...)
package processors
