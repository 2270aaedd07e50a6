package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// testVersion is the release version the binaries are built with, so
// that the version the events carry can be checked exactly.
const testVersion = "1.2.3-rc.7"

// The binaries under test, built once by TestMain.
var (
	elmoBin   string
	webBin    string
	workerBin string

	// deploymentErr says why elmo-web or elmo-worker could not be built;
	// the tests of the deployment's promises skip with it.
	deploymentErr error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "elmo-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	elmoBin = filepath.Join(dir, "elmo")
	if err := build(elmoBin, "github.com/elmohq/telemetry/cmd/elmo"); err != nil {
		fmt.Fprintf(os.Stderr, "building elmo: %v\n", err)
		return 1
	}
	webBin = filepath.Join(dir, "elmo-web")
	workerBin = filepath.Join(dir, "elmo-worker")
	deploymentErr = errors.Join(
		build(webBin, "github.com/elmohq/telemetry/cmd/elmo-web"),
		build(workerBin, "github.com/elmohq/telemetry/cmd/elmo-worker"),
	)

	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			return 1
		}
	}
	return code
}

// build builds the main package pkg into out, with the race detector
// when the tests run with it, and the version set at link time.
func build(out, pkg string) error {
	args := []string{"build", "-o", out, "-ldflags", "-X main.version=" + testVersion}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, stderr.String())
	}
	return nil
}

// requireDeployment skips a test of the deployment's promises when
// elmo-web or elmo-worker does not build.
func requireDeployment(t *testing.T) {
	t.Helper()
	if deploymentErr != nil {
		t.Skipf("the deployment's binaries do not build, so its promises cannot be checked: %v", deploymentErr)
	}
}
