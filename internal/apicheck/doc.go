// Package apicheck holds tests of the module's shape. No exported
// identifier of a public package names a type of an internal package,
// which a caller outside the module could not name. No program Elmo ships
// (elmo, elmo-web, elmo-worker) links posthog-go or the compression and
// JSON libraries it brings, which would cost megabytes of every binary.
// Each event name, property key, resource key and environment variable is
// spelled in one place, and every other package uses that constant. And
// ARCHITECTURE.md matches the code: it has a row for every package of
// both modules, every function, type and variable it names exists, and
// the import rules it states hold.
package apicheck
