package deploytest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main is the TestMain of a package that tests the deployment's programs:
// it builds the main packages pkgs into a temporary directory, hands the
// paths of the programs by name to use, runs the tests with goroutine
// leak checking, removes the programs and exits with the tests' status.
func Main(m *testing.M, use func(bins map[string]string), pkgs ...string) {
	os.Exit(runMain(m, use, pkgs))
}

func runMain(m *testing.M, use func(map[string]string), pkgs []string) int {
	dir, err := os.MkdirTemp("", "elmo-programs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	bins, err := Build(dir, nil, pkgs...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	use(bins)
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			return 1
		}
	}
	return code
}
