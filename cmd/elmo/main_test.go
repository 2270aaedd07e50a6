package main

import (
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// TestMain builds elmo, and beside it the deployment's programs for the
// tests of elmo start, once for the package. The deployment's programs are
// not under test here: no -race for them.
func TestMain(m *testing.M) { clitest.Main(m) }

// sandbox is a user's machine for one test: its own HOME, config, state
// and deployment directories, and a PostHog server.
type sandbox = clitest.Sandbox

// result is the outcome of one run of the binary.
type result = clitest.Result

func newSandbox(t *testing.T, opts ...posthogtest.Option) *sandbox {
	t.Helper()
	return clitest.New(t, clitest.WithServerOptions(opts...))
}

// consentGiven is a config.json of a user who turned telemetry on.
const consentGiven = clitest.ConsentGiven

// settle waits until the background senders of s's runs so far have
// ended, so that whatever those runs were to send has arrived, and
// returns how many requests and events the server has received.
func settle(s *sandbox) (requests, events int) {
	s.T.Helper()
	s.WaitSenders()
	return len(s.Server.Requests()), len(s.Server.Events())
}
