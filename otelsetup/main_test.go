package otelsetup_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/otelsetup"
)

// childEnv names the job of a re-executed test binary: the console
// exporter writes to the process's standard output, which only a child
// process lets a test read whole.
const childEnv = "ELMO_OTELSETUP_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "console" {
		os.Exit(runConsoleChild())
	}
	goleak.VerifyTestMain(m)
}

// runConsoleChild starts the pipeline as configured by the environment,
// records one span and shuts down.
func runConsoleChild() int {
	tel, err := otelsetup.Start(context.Background(),
		otelsetup.WithConfigPath(os.Getenv("ELMO_TEST_CONFIG")),
		otelsetup.WithStderr(io.Discard), otelsetup.WithTerminal(false))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	emit("cli_start")
	emit("not_in_catalog")
	if err := tel.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
