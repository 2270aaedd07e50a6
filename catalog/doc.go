// Package catalog is the vocabulary of Elmo's telemetry, held once: the
// events Elmo may send ([Events]), the keys of their properties, the
// resource attributes every event carries ([Resource]), the enumerated
// values and value rules ([Rule]) that every string must pass, and the
// descriptions the documentation shows.
//
// It is data and pure functions, and imports nothing of Elmo's, so every
// other package can read it: the gate in package processors, the
// exporter, the resource detector, the CLI and the documentation
// generator. Names, keys and values that several events or programs share
// are constants here (names.go, enums.go); a key that one command alone
// sets may be spelled in its entry and where it is set, and the analyzer
// (catalog/catalogcheck, run by scripts/catalogcheck) checks that they
// agree. No string property is free-form: each lists its values or names a
// [Rule]; [NormalizeModel] sends a public model name, "fine-tuned" or
// "other", never a name a user made up.
//
// How to add an event or a property is in [The catalog]; what the
// catalog lets through, as Elmo's users read it, in [What is collected].
//
// [The catalog]: https://github.com/elmohq/telemetry/blob/main/docs/catalog.md
// [What is collected]: https://github.com/elmohq/telemetry/blob/main/docs/telemetry.md#what-is-collected
package catalog
