// Package consent decides, once per process, whether Elmo may send
// telemetry, and says why.
//
// The rules are a precedence table; the first row that matches decides:
//
//  1. DISABLE_TELEMETRY set to a true value: off.
//  2. DO_NOT_TRACK set to a true value: off.
//  3. OTEL_SDK_DISABLED, the OpenTelemetry switch, set to a true value:
//     off.
//  4. The CLI's config.json says telemetryDisabled: off or on as it says.
//  5. config.json cannot be read or understood: off, with the reason.
//  6. The CLI has no choice recorded and never showed the notice: off.
//  7. Otherwise: on.
//
// A variable can only turn telemetry off: no value of any variable turns
// it on over an opt-out. The deployment's services have no config.json;
// they see the deployment .env as their environment, so rows 1, 2, 3 and
// 7 apply to them; `elmo start` adds DISABLE_TELEMETRY=1 to that
// environment when the CLI's own decision is an opt-out, so one choice
// covers every program.
//
// The three variables are read alike, with OptOut: any value but empty,
// 0, false, no and off turns telemetry off. For OTEL_SDK_DISABLED this
// is wider than the OpenTelemetry specification, which disables the SDK
// only for "true" and ignores other values: a value such as 1 or yes
// says the person wants nothing sent, and when in doubt Elmo sends
// nothing.
package consent

import (
	"fmt"
	"os"
	"strings"

	"github.com/elmohq/telemetry/internal/pipeline/configfile"
)

// NoticeVersion is the version of the first-run notice. Raising it shows
// the notice again to users who saw an older one and made no explicit
// choice, and sends nothing in the run that shows it.
const NoticeVersion = 1

// Source names the rule that made a Decision.
type Source string

// The sources of a decision, as `elmo telemetry status` shows them.
const (
	SourceEnvDisableTelemetry Source = "env " + VarDisableTelemetry
	SourceEnvDoNotTrack       Source = "env " + VarDoNotTrack
	SourceEnvOTelSDKDisabled  Source = "env " + VarOTelSDKDisabled
	SourceConfig              Source = "config"
	SourceError               Source = "error"
	SourceNotYetAsked         Source = "not yet asked"
	SourceDefault             Source = "default"
)

// Decision is whether telemetry is on, which rule decided, and a sentence
// for the user saying why.
type Decision struct {
	Enabled bool
	Source  Source
	Reason  string
}

// String returns "on" or "off" with the source and the reason.
func (d Decision) String() string {
	state := "off"
	if d.Enabled {
		state = "on"
	}
	return fmt.Sprintf("%s (%s: %s)", state, d.Source, d.Reason)
}

// OptOut reports whether an opt-out variable's value turns telemetry off:
// anything but empty, 0, false, no and off, in any case and with spaces
// around it ignored.
func OptOut(value string) bool {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// The variables that turn telemetry off, in the order of the table.
const (
	VarDisableTelemetry = "DISABLE_TELEMETRY"
	VarDoNotTrack       = "DO_NOT_TRACK"
	VarOTelSDKDisabled  = "OTEL_SDK_DISABLED"
)

// optOutVars are the rows of the table that read the environment, in
// order.
var optOutVars = []struct {
	name   string
	source Source
}{
	{VarDisableTelemetry, SourceEnvDisableTelemetry},
	{VarDoNotTrack, SourceEnvDoNotTrack},
	{VarOTelSDKDisabled, SourceEnvOTelSDKDisabled},
}

// OptOutVars returns the names of the variables that turn telemetry off,
// in the order they are checked.
func OptOutVars() []string {
	names := make([]string, len(optOutVars))
	for i, v := range optOutVars {
		names[i] = v.name
	}
	return names
}

// FromEnv applies the rows of the table that read the environment. It
// returns the decision and true when one of them matched. getenv nil
// means os.Getenv.
func FromEnv(getenv func(string) string) (Decision, bool) {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, v := range optOutVars {
		if OptOut(getenv(v.name)) {
			return Decision{Source: v.source, Reason: v.name + " is set in the environment"}, true
		}
	}
	return Decision{}, false
}

// OptedOut reports whether d is an opt-out that the person made: a
// variable or telemetryDisabled: true in config.json, or a config.json
// that cannot be understood, which fails closed. A missing answer is not
// an opt-out.
func (d Decision) OptedOut() bool {
	if d.Enabled {
		return false
	}
	switch d.Source {
	case SourceEnvDisableTelemetry, SourceEnvDoNotTrack, SourceEnvOTelSDKDisabled, SourceConfig, SourceError:
		return true
	}
	return false
}

// ForDeployment decides for a service of the local deployment, whose
// environment is the deployment .env.
func ForDeployment(getenv func(string) string) Decision {
	if d, ok := FromEnv(getenv); ok {
		return d
	}
	return Decision{Enabled: true, Source: SourceDefault, Reason: "no opt-out is set"}
}

// ForCLI decides for the CLI from the environment and the config file. It
// only reads; it never writes the file.
func ForCLI(getenv func(string) string, store *configfile.Store) Decision {
	if d, ok := FromEnv(getenv); ok {
		return d
	}
	settings, _, err := store.Load()
	if err != nil {
		return Failed(err)
	}
	return ForSettings(settings, store.Path())
}

// ForSettings applies rows 4, 6 and 7 to settings read from the config
// file at path.
func ForSettings(s configfile.Settings, path string) Decision {
	switch {
	case s.TelemetryDisabled != nil && *s.TelemetryDisabled:
		return Decision{Source: SourceConfig, Reason: "telemetryDisabled is true in " + path}
	case s.TelemetryDisabled != nil:
		return Decision{Enabled: true, Source: SourceConfig, Reason: "telemetryDisabled is false in " + path}
	case !s.ConsentRecorded(NoticeVersion):
		return Decision{Source: SourceNotYetAsked, Reason: "no choice is recorded in " + path + " and the telemetry notice was not shown yet"}
	}
	return Decision{Enabled: true, Source: SourceDefault, Reason: "the telemetry notice was shown and no opt-out is set"}
}

// Failed is the decision when the config file cannot be read, understood
// or written: off for this run, with err as the reason.
func Failed(err error) Decision {
	return Decision{Source: SourceError, Reason: err.Error()}
}
