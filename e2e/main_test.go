package e2e

import (
	"testing"

	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// testVersion is the release version the binaries are built with, so
// that the version the events carry can be checked exactly.
const testVersion = "1.2.3-rc.7"

// TestMain builds elmo, elmo-web and elmo-worker once, with the race
// detector when the tests run with it and the version set at link time.
// When the deployment's programs do not build, the tests of the
// deployment's promises skip with the reason.
func TestMain(m *testing.M) {
	clitest.Main(m, clitest.WithVersion(testVersion), clitest.WithRaceServices(), clitest.WithOptionalServices())
}

// requireDeployment skips a test of the deployment's promises when
// elmo-web or elmo-worker does not build.
func requireDeployment(t *testing.T) {
	t.Helper()
	if err := clitest.ServicesErr(); err != nil {
		t.Skipf("the deployment's binaries do not build, so its promises cannot be checked: %v", err)
	}
}
