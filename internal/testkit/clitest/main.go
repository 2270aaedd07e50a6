package clitest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// The main packages Main builds.
const (
	pkgElmo   = "github.com/elmohq/telemetry/cmd/elmo"
	pkgWeb    = "github.com/elmohq/telemetry/cmd/elmo-web"
	pkgWorker = "github.com/elmohq/telemetry/cmd/elmo-worker"
)

// programs are the paths of the programs Main built, in one directory,
// as a release ships them: elmo start finds the services beside itself.
var programs struct {
	elmo, web, worker string
	servicesErr       error
}

// Elmo returns the path of the elmo binary Main built.
func Elmo() string { return programs.elmo }

// Web returns the path of the elmo-web binary Main built.
func Web() string { return programs.web }

// Worker returns the path of the elmo-worker binary Main built.
func Worker() string { return programs.worker }

// ServicesErr says why elmo-web or elmo-worker could not be built, when
// Main was given WithOptionalServices; nil when they were.
func ServicesErr() error { return programs.servicesErr }

// MainOption configures Main.
type MainOption interface {
	apply(mainConfig) mainConfig
}

type mainOptionFunc func(mainConfig) mainConfig

func (f mainOptionFunc) apply(c mainConfig) mainConfig { return f(c) }

type mainConfig struct {
	version          string
	raceServices     bool
	optionalServices bool
}

// WithVersion links v into every program as its release version
// (-ldflags "-X main.version=v"), so that the version events carry can be
// checked exactly. The default is none: the version comes from the build.
func WithVersion(v string) MainOption {
	return mainOptionFunc(func(c mainConfig) mainConfig {
		c.version = v
		return c
	})
}

// WithRaceServices builds elmo-web and elmo-worker with the race detector
// too when the tests run with it, for tests that put them under test. By
// default only elmo has it, which keeps the build short.
func WithRaceServices() MainOption {
	return mainOptionFunc(func(c mainConfig) mainConfig {
		c.raceServices = true
		return c
	})
}

// WithOptionalServices runs the tests even when elmo-web or elmo-worker
// does not build; ServicesErr says why, for the tests that need them. By
// default such a build failure fails the test process.
func WithOptionalServices() MainOption {
	return mainOptionFunc(func(c mainConfig) mainConfig {
		c.optionalServices = true
		return c
	})
}

// Main is the TestMain of a package that runs the CLI as a user would: it
// builds elmo, elmo-web and elmo-worker once for the test process into a
// temporary directory, runs the tests, checks that no goroutine leaked,
// removes the programs and exits with the tests' status.
func Main(m *testing.M, opts ...MainOption) {
	os.Exit(runMain(m, opts))
}

func runMain(m *testing.M, opts []MainOption) int {
	var c mainConfig
	for _, o := range opts {
		c = o.apply(c)
	}
	dir, err := os.MkdirTemp("", "elmo-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := build(dir, c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			return 1
		}
	}
	return code
}

// build builds the programs into dir as c asks.
func build(dir string, c mainConfig) error {
	var flags []string
	if c.version != "" {
		flags = append(flags, "-ldflags", "-X main.version="+c.version)
	}
	elmoFlags, serviceFlags := flags, flags
	if raceEnabled {
		elmoFlags = append(elmoFlags, "-race")
		if c.raceServices {
			serviceFlags = append(serviceFlags, "-race")
		}
	}
	bins, err := deploytest.Build(dir, elmoFlags, pkgElmo)
	if err != nil {
		return fmt.Errorf("building elmo: %w", err)
	}
	programs.elmo = bins["elmo"]
	programs.web = filepath.Join(dir, "elmo-web")
	programs.worker = filepath.Join(dir, "elmo-worker")
	if _, err := deploytest.Build(dir, serviceFlags, pkgWeb, pkgWorker); err != nil {
		err = fmt.Errorf("building the deployment's programs: %w", err)
		if !c.optionalServices {
			return err
		}
		programs.servicesErr = err
	}
	return nil
}
