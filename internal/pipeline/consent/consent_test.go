package consent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/internal/pipeline/configfile"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
)

func TestPrecedenceTable(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		config  string // config.json content; "" means no file, "<dir>" a directory
		enabled bool
		source  consent.Source
		reason  string // a substring of the reason
	}{
		// Row 1: every spelling of DISABLE_TELEMETRY.
		{"DISABLE_TELEMETRY=1", env("DISABLE_TELEMETRY", "1"), enabledCfg, false, consent.SourceEnvDisableTelemetry, "DISABLE_TELEMETRY"},
		{"DISABLE_TELEMETRY=true", env("DISABLE_TELEMETRY", "true"), enabledCfg, false, consent.SourceEnvDisableTelemetry, ""},
		{"DISABLE_TELEMETRY=YES", env("DISABLE_TELEMETRY", "YES"), enabledCfg, false, consent.SourceEnvDisableTelemetry, ""},
		{"DISABLE_TELEMETRY=on", env("DISABLE_TELEMETRY", "on"), enabledCfg, false, consent.SourceEnvDisableTelemetry, ""},
		{"DISABLE_TELEMETRY=anything", env("DISABLE_TELEMETRY", "anything"), enabledCfg, false, consent.SourceEnvDisableTelemetry, ""},
		{"DISABLE_TELEMETRY=0 does not force on", env("DISABLE_TELEMETRY", "0"), disabledCfg, false, consent.SourceConfig, "telemetryDisabled is true"},
		{"DISABLE_TELEMETRY=false", env("DISABLE_TELEMETRY", "false"), enabledCfg, true, consent.SourceConfig, ""},
		{"DISABLE_TELEMETRY=no", env("DISABLE_TELEMETRY", "no"), enabledCfg, true, consent.SourceConfig, ""},
		{"DISABLE_TELEMETRY=off", env("DISABLE_TELEMETRY", "OFF"), enabledCfg, true, consent.SourceConfig, ""},
		{"DISABLE_TELEMETRY empty", env("DISABLE_TELEMETRY", ""), enabledCfg, true, consent.SourceConfig, ""},
		// Row 2.
		{"DO_NOT_TRACK=1", env("DO_NOT_TRACK", "1"), enabledCfg, false, consent.SourceEnvDoNotTrack, "DO_NOT_TRACK"},
		{"DO_NOT_TRACK=true", env("DO_NOT_TRACK", "True"), enabledCfg, false, consent.SourceEnvDoNotTrack, ""},
		{"DO_NOT_TRACK=0", env("DO_NOT_TRACK", "0"), enabledCfg, true, consent.SourceConfig, ""},
		{"DISABLE_TELEMETRY wins over DO_NOT_TRACK", map[string]string{"DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}, "", false, consent.SourceEnvDisableTelemetry, ""},
		// Row 3: the OpenTelemetry switch, read like the other two.
		{"OTEL_SDK_DISABLED=true", env("OTEL_SDK_DISABLED", "true"), enabledCfg, false, consent.SourceEnvOTelSDKDisabled, "OTEL_SDK_DISABLED"},
		{"OTEL_SDK_DISABLED=TRUE", env("OTEL_SDK_DISABLED", "TRUE"), enabledCfg, false, consent.SourceEnvOTelSDKDisabled, ""},
		{"OTEL_SDK_DISABLED=1", env("OTEL_SDK_DISABLED", "1"), enabledCfg, false, consent.SourceEnvOTelSDKDisabled, ""},
		{"OTEL_SDK_DISABLED=false", env("OTEL_SDK_DISABLED", "false"), enabledCfg, true, consent.SourceConfig, ""},
		{"OTEL_SDK_DISABLED empty", env("OTEL_SDK_DISABLED", ""), enabledCfg, true, consent.SourceConfig, ""},
		{"OTEL_SDK_DISABLED=false does not force on", env("OTEL_SDK_DISABLED", "false"), disabledCfg, false, consent.SourceConfig, ""},
		{"OTEL_SDK_DISABLED before a malformed config", env("OTEL_SDK_DISABLED", "true"), `{`, false, consent.SourceEnvOTelSDKDisabled, ""},
		{"DO_NOT_TRACK wins over OTEL_SDK_DISABLED", map[string]string{"DO_NOT_TRACK": "1", "OTEL_SDK_DISABLED": "true"}, "", false, consent.SourceEnvDoNotTrack, ""},
		// Row 3.
		{"config disabled", nil, disabledCfg, false, consent.SourceConfig, "config.json"},
		{"config enabled", nil, enabledCfg, true, consent.SourceConfig, "config.json"},
		// Row 4.
		{"config malformed", nil, `{"telemetryDisabled": fal`, false, consent.SourceError, "config.json"},
		{"config wrong type", nil, `{"telemetryDisabled": "no"}`, false, consent.SourceError, "telemetryDisabled"},
		{"config duplicate key", nil, `{"telemetryDisabled": true, "telemetryDisabled": false}`, false, consent.SourceError, "telemetryDisabled"},
		{"config is a directory", nil, "<dir>", false, consent.SourceError, "config.json"},
		// Row 5.
		{"no config file", nil, "", false, consent.SourceNotYetAsked, "notice"},
		{"config without choice", nil, `{"other": 1}`, false, consent.SourceNotYetAsked, ""},
		{"older notice shown", nil, `{"telemetryNoticeVersion": 0}`, false, consent.SourceNotYetAsked, ""},
		// Row 6.
		{"notice shown", nil, `{"telemetryNoticeVersion": 1}`, true, consent.SourceDefault, ""},
		{"newer notice shown", nil, `{"telemetryNoticeVersion": 7, "telemetryId": "9b2f1c8e-0c2d-4c4e-8f5a-3f3c1f2b9a10"}`, true, consent.SourceDefault, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			switch tt.config {
			case "":
			case "<dir>":
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			default:
				if err := os.WriteFile(path, []byte(tt.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := os.ReadFile(path)
			getenv := func(k string) string { return tt.env[k] }

			d := consent.ForCLI(getenv, configfile.New(path))
			if d.Enabled != tt.enabled || d.Source != tt.source {
				t.Errorf("got %v, want enabled=%v source=%q", d, tt.enabled, tt.source)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", d.Reason, tt.reason)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Errorf("deciding changed the config file to %q", after)
			}
		})
	}
}

func TestMalformedConfigIsLeftByteIdentical(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	content := []byte("{\"telemetryId\": \"x\", broken\n")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	d := consent.ForCLI(func(string) string { return "" }, configfile.New(path))
	if d.Enabled || d.Source != consent.SourceError || !strings.Contains(d.Reason, path) {
		t.Fatalf("got %v, want off with source error naming %s", d, path)
	}
	got, _ := os.ReadFile(path)
	if string(got) != string(content) {
		t.Errorf("file changed to %q", got)
	}
}

func TestDeploymentReadsOnlyItsEnvironment(t *testing.T) {
	tests := []struct {
		env     map[string]string
		enabled bool
		source  consent.Source
	}{
		{nil, true, consent.SourceDefault},
		{env("DISABLE_TELEMETRY", "1"), false, consent.SourceEnvDisableTelemetry},
		{env("DISABLE_TELEMETRY", "0"), true, consent.SourceDefault},
		{env("DO_NOT_TRACK", "yes"), false, consent.SourceEnvDoNotTrack},
		{env("OTEL_SDK_DISABLED", "true"), false, consent.SourceEnvOTelSDKDisabled},
		{env("OTEL_SDK_DISABLED", "True"), false, consent.SourceEnvOTelSDKDisabled},
		{env("OTEL_SDK_DISABLED", "false"), true, consent.SourceDefault},
	}
	for _, tt := range tests {
		d := consent.ForDeployment(func(k string) string { return tt.env[k] })
		if d.Enabled != tt.enabled || d.Source != tt.source {
			t.Errorf("env %v: got %v", tt.env, d)
		}
	}
}

func TestOptOutValues(t *testing.T) {
	for v, want := range map[string]bool{
		"1": true, "true": true, "YES": true, "on": true, "anything": true, " 1 ": true,
		"0": false, "false": false, "no": false, "off": false, "": false, " False ": false, "NO": false,
	} {
		if got := consent.OptOut(v); got != want {
			t.Errorf("OptOut(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestOptOutVarsFollowTheTable(t *testing.T) {
	names := consent.OptOutVars()
	want := []string{consent.VarDisableTelemetry, consent.VarDoNotTrack, consent.VarOTelSDKDisabled}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("OptOutVars() = %v, want %v", names, want)
	}
	for _, name := range names {
		d, ok := consent.FromEnv(func(k string) string { return map[string]string{name: "true"}[k] })
		if !ok || d.Enabled || string(d.Source) != "env "+name {
			t.Errorf("%s=true: got %v, %v; want off from env %s", name, d, ok, name)
		}
	}
	names[0] = "changed"
	if consent.OptOutVars()[0] != consent.VarDisableTelemetry {
		t.Error("OptOutVars returns the table itself, not a copy")
	}
}

func TestOptedOut(t *testing.T) {
	tests := []struct {
		d    consent.Decision
		want bool
	}{
		{consent.Decision{Source: consent.SourceEnvDisableTelemetry}, true},
		{consent.Decision{Source: consent.SourceEnvDoNotTrack}, true},
		{consent.Decision{Source: consent.SourceEnvOTelSDKDisabled}, true},
		{consent.Decision{Source: consent.SourceConfig}, true},
		{consent.Decision{Source: consent.SourceError}, true},
		{consent.Decision{Source: consent.SourceNotYetAsked}, false},
		{consent.Decision{Enabled: true, Source: consent.SourceConfig}, false},
		{consent.Decision{Enabled: true, Source: consent.SourceDefault}, false},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			if got := tt.d.OptedOut(); got != tt.want {
				t.Errorf("OptedOut() = %v, want %v", got, tt.want)
			}
		})
	}
}

const (
	enabledCfg  = `{"telemetryDisabled": false}`
	disabledCfg = `{"telemetryDisabled": true}`
)

func env(k, v string) map[string]string { return map[string]string{k: v} }
