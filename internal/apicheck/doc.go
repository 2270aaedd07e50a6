// Package apicheck holds a test of the module's public API: no exported
// identifier of a public package names a type of an internal package,
// which a caller outside the module could not name.
package apicheck
