// Package e2e checks, against the built elmo, elmo-web and elmo-worker
// binaries, every promise that Elmo's public telemetry page makes to its
// users: what is collected, what never is, how the install and deployment
// are identified, every way to opt out, and the newsletter exception.
//
// The package has no API. Its tests build the binaries once, run them as
// a user would, each run in a fresh home directory with an environment
// built from scratch, and point them at a PostHog capture server on
// loopback (exporter/posthogtest). Each test is named after the promise
// it checks and quotes, above it, the sentence of the page it proves.
// Every test that asserts that nothing was sent, or that a value never
// leaves the machine, also shows in the same run that the same set-up
// without the opt-out does send, and that the value was really in the
// input: a check that cannot fail proves nothing.
//
// Run them with:
//
//	go test -race ./e2e/
package e2e
