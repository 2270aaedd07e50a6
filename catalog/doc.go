// Package catalog is the vocabulary of Elmo's telemetry, held once: the
// names of the events, the keys of their properties, the resource
// attributes that become the common properties of every event, the
// enumerated values and the value rules that every string must pass, and
// the descriptions that the documentation shows.
//
// The package is data and pure functions. It imports nothing of Elmo's,
// so every other package can depend on it: the gate in processors reads
// it to decide what may leave the process, the exporter to name the
// properties it sends, the resource detector to check what it detects,
// the CLI to name its spans, and the documentation generator to describe
// it. Names, keys and values that several events or programs share are
// constants here (names.go, enums.go); a key that one command alone sets
// may be spelled in its entry and where it is set, and the analyzer
// (catalogcheck, run by scripts/catalogcheck) checks that they agree.
// docs/catalog.md walks through adding an event.
//
// No string property is free-form: each one either lists its values
// (with a fallback such as "other" for anything else, or none, in which
// case an unknown value is dropped) or names a [Rule] that says what a
// value is sent as. [NormalizeModel], the rule for model names, sends the
// public model name, "fine-tuned" or "other", never a name a user made up.
package catalog
