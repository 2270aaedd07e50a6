// Package apicheck holds tests of the module's public API and of what its
// programs link: no exported identifier of a public package names a type
// of an internal package, which a caller outside the module could not
// name; and no program Elmo ships (elmo, elmo-web, elmo-worker) links
// posthog-go or the compression and JSON libraries it brings, which would
// cost megabytes of every binary.
package apicheck
