// Package deployment owns the local Elmo deployment: its directory, the
// names of its variables, the settings its services read from them, and
// the telemetry setting of its .env file.
//
// The deployment lives in a directory, ELMO_DIR, whose .env file holds
// DEPLOYMENT_ID, the provider keys and the deployment's own telemetry
// opt-out, DISABLE_TELEMETRY. The web app and the worker get that file as
// their environment, so a change takes effect when they are started
// again. Edits keep every other line of the file byte for byte.
//
// The services read their settings (Load) from their environment, which
// is the deployment .env that elmo start passes them. The variables are:
//
//	ELMO_DIR          the deployment directory; default ~/.elmo
//	DATABASE_URL      postgres://... for an external PostgreSQL server
//	WEB_PORT          the web app's port on 127.0.0.1; default 3000
//	WEB_ADDR          the web app's full listen address, overriding WEB_PORT
//	WORKER_INTERVAL   how often the worker looks for due prompts; default 60s
//	PROVIDER_TIMEOUT  how long one provider request may take; default 60s
//	PROMPT_INTERVAL   how often each prompt is run again; default 24h
//
// Durations use Go's syntax, such as 200ms, 90s or 1h30m.
package deployment

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/elmohq/telemetry/internal/app/dotenv"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
	"github.com/elmohq/telemetry/resource"
)

// Variables of the deployment .env that this package reads or writes.
const (
	// VarDisableTelemetry turns the deployment's telemetry off when set to
	// a true value; Disable writes it as "1".
	VarDisableTelemetry = consent.VarDisableTelemetry
	// VarDoNotTrack turns the deployment's telemetry off when set to a
	// true value.
	VarDoNotTrack = consent.VarDoNotTrack
	// VarDeploymentID is the deployment's random ID.
	VarDeploymentID = resource.VarDeploymentID
	// VarElmoDir names the deployment directory in the environment.
	VarElmoDir = "ELMO_DIR"
	// VarDatabaseURL selects an external PostgreSQL server (see
	// IsPostgresURL); unset, the deployment uses its embedded database.
	VarDatabaseURL = "DATABASE_URL"
	// VarWebPort is the web app's port on 127.0.0.1.
	VarWebPort = "WEB_PORT"
	// VarDeploymentMode is the deployment mode, such as "local".
	VarDeploymentMode = resource.VarDeploymentMode
)

// EnvFileName is the name of the deployment's environment file.
const EnvFileName = ".env"

// Dir returns the deployment directory: flagValue when not empty, else
// $ELMO_DIR, else ~/.elmo. The result is absolute. getenv nil means
// os.Getenv.
func Dir(flagValue string, getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	dir := flagValue
	if dir == "" {
		dir = getenv(VarElmoDir)
	}
	if dir == "" {
		d, err := defaultDir(getenv)
		if err != nil {
			return "", fmt.Errorf("cannot find the deployment directory: set ELMO_DIR or --dir: %w", err)
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("cannot resolve the deployment directory %s: %w", dir, err)
	}
	return abs, nil
}

// EnvPath returns the path of the .env file of the deployment in dir.
func EnvPath(dir string) string { return filepath.Join(dir, EnvFileName) }

// State is what the .env file of a deployment says about telemetry.
type State struct {
	// EnvPath is the path of the .env file.
	EnvPath string
	// Exists reports whether the .env file exists: whether there is a
	// deployment.
	Exists bool
	// DeploymentID is the value of DEPLOYMENT_ID, "" when unset.
	DeploymentID string
	// OptOutVar names the variable of the file that turns the
	// deployment's telemetry off: DISABLE_TELEMETRY, DO_NOT_TRACK or
	// OTEL_SDK_DISABLED set to a true value; "" when the file sets none.
	OptOutVar string
}

// TelemetryEnabled reports whether the deployment, started with this
// .env as its environment, would send telemetry: it exists and its file
// sets no opt-out.
func (s State) TelemetryEnabled() bool { return s.Exists && s.OptOutVar == "" }

// ReadState reads the telemetry state of the deployment in dir. A missing
// .env is not an error: it yields a State with Exists false.
func ReadState(dir string) (State, error) {
	st := State{EnvPath: EnvPath(dir)}
	f, err := dotenv.ReadFile(st.EnvPath)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Exists = true
	st.DeploymentID, _ = f.Get(VarDeploymentID)
	for _, key := range consent.OptOutVars() {
		if v, ok := f.Get(key); ok && consent.OptOut(v) {
			st.OptOutVar = key
			break
		}
	}
	return st, nil
}

// Change says what SetTelemetry did to a .env file.
type Change int

const (
	// NoDeployment means there is no .env file; nothing was created.
	NoDeployment Change = iota
	// Unchanged means the file already said what was asked.
	Unchanged
	// Changed means the file was rewritten.
	Changed
)

// SetTelemetry turns the deployment's telemetry on or off in its .env
// file: off writes DISABLE_TELEMETRY=1, on removes every DISABLE_TELEMETRY
// line. Every other byte of the file is kept. When the file does not
// exist, SetTelemetry creates nothing and returns NoDeployment.
func SetTelemetry(dir string, enabled bool) (Change, error) {
	path := EnvPath(dir)
	f, err := dotenv.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NoDeployment, nil
	}
	if err != nil {
		return Unchanged, err
	}
	if enabled {
		removed, err := f.Remove(VarDisableTelemetry)
		if err != nil {
			return Unchanged, fmt.Errorf("cannot edit %s: %w", path, err)
		}
		if !removed {
			return Unchanged, nil
		}
	} else {
		// When the key is assigned more than once, the last assignment
		// is the one the deployment sees.
		if v, ok := f.Get(VarDisableTelemetry); ok && v == "1" {
			return Unchanged, nil
		}
		if err := f.Set(VarDisableTelemetry, "1"); err != nil {
			return Unchanged, fmt.Errorf("cannot edit %s: %w", path, err)
		}
	}
	if err := dotenv.WriteFile(path, f); err != nil {
		return Unchanged, err
	}
	return Changed, nil
}
