// Package catalogcheck is a static analyzer, [Analyzer], that finds at
// build time telemetry that the catalog would drop at run time: spans
// started and metric instruments created with a constant name that the
// catalog does not list, constant attribute keys that their entry does not
// allow, attributes of the wrong type for their key, and constant values
// outside an enumerated property's values. Each message names the catalog
// entry to add or change. Names, keys and values that are not constants
// are left to the gate in package processors, at run time.
//
// Besides the catalog, the analyzer reads the catalog.Event literals of the
// package it checks, as a program that extends the catalog with
// otelsetup.WithPolicy declares its entries. A line that sends what the
// catalog drops on purpose is exempted by a comment at its end or on the
// line above, with a reason:
//
//	//catalogcheck:ignore <reason>
//
// Findings in _test.go files are reported only with the -testfiles flag.
// Run it with scripts/catalogcheck, or as a go vet tool built from
// cmd/catalogcheck; [Check new telemetry before it ships] says what it
// reports, with an example.
//
// [Check new telemetry before it ships]: https://github.com/elmohq/telemetry/blob/main/docs/catalog.md#check-new-telemetry-before-it-ships
package catalogcheck
