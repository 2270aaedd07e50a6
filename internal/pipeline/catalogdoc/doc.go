// Package catalogdoc renders the Elmo event catalog of package processors
// for people: the table that `elmo telemetry events` prints, its JSON
// form, and the "What is collected" section of the telemetry page,
// docs/telemetry.md.
//
// The catalog is data held in one place (catalog.Events and
// catalog.Resource); everything here is derived from it, so the
// documentation cannot say something the filter does not do. A test of
// this package fails when the page and the catalog disagree; run
//
//	go generate ./...
//
// from the module root to rewrite the section between [BeginMarker] and
// [EndMarker] (the go:generate line is in catalog/events.go, and runs
// cmd/gencatalog).
package catalogdoc
