// Package apicheck holds tests of the module's shape that guard what
// users and maintainers rely on. No exported identifier of a public
// package names a type of an internal package, which a caller outside the
// module could not name. No program Elmo ships (elmo, elmo-web,
// elmo-worker) links posthog-go or the compression and JSON libraries it
// brings, which would cost megabytes of every binary. No example imports
// an internal package, so each can be copied out of the module. The
// import rules of ARCHITECTURE.md hold, the three layers of internal/
// among them: the library's internals (internal/pipeline) sit below
// otelsetup, the app (internal/app) and the test support
// (internal/testkit) above it; and its tables list every package with its
// imports. The documentation leads somewhere: README.md stays a short
// front door, every link of the repository's Markdown files resolves, and
// so does every doc link of a public package's documentation.
package apicheck
