// Package apicheck holds tests of the module's shape. No exported
// identifier of a public package names a type of an internal package,
// which a caller outside the module could not name. And ARCHITECTURE.md
// matches the code: it has a row for every package of both modules, every
// function, type and variable it names exists, and the import rules it
// states hold.
package apicheck
