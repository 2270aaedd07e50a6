package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// TestOptOutSendsNothing runs sequences of commands and checks which
// events arrive. The cases that send are the positive controls of the
// ones that must not: same binary, same server, same set-up.
func TestOptOutSendsNothing(t *testing.T) {
	tests := []struct {
		name   string
		config string            // config.json before the runs
		env    map[string]string // variables of every run
		runs   [][]string
		want   []string // event names that must arrive; nil means no request at all
	}{
		{
			name:   "control: consent given, a command sends its span",
			config: consentGiven,
			runs:   [][]string{{"version"}},
			want:   []string{"cli_version"},
		},
		{
			name:   "disable then a command",
			config: consentGiven,
			runs:   [][]string{{"telemetry", "disable"}, {"version"}, {"telemetry", "status"}},
		},
		{
			name:   "DISABLE_TELEMETRY=1 over consent",
			config: consentGiven,
			env:    map[string]string{"DISABLE_TELEMETRY": "1"},
			runs:   [][]string{{"version"}, {"telemetry", "status"}},
		},
		{
			name:   "DO_NOT_TRACK=1 over consent",
			config: consentGiven,
			env:    map[string]string{"DO_NOT_TRACK": "1"},
			runs:   [][]string{{"version"}},
		},
		{
			name:   "DISABLE_TELEMETRY=true over consent",
			config: consentGiven,
			env:    map[string]string{"DISABLE_TELEMETRY": "true"},
			runs:   [][]string{{"version"}},
		},
		{
			name:   "control: DISABLE_TELEMETRY=0 is no opt-out",
			config: consentGiven,
			env:    map[string]string{"DISABLE_TELEMETRY": "0"},
			runs:   [][]string{{"version"}},
			want:   []string{"cli_version"},
		},
		{
			name:   "OTEL_SDK_DISABLED=true over consent",
			config: consentGiven,
			env:    map[string]string{"OTEL_SDK_DISABLED": "true"},
			runs:   [][]string{{"version"}, {"telemetry", "status"}, {"init", "--yes"}},
		},
		{
			name:   "OTEL_SDK_DISABLED=TRUE blocks enable",
			config: `{"telemetryDisabled": true}`,
			env:    map[string]string{"OTEL_SDK_DISABLED": "TRUE"},
			runs:   [][]string{{"telemetry", "enable"}, {"version"}},
		},
		{
			name:   "control: OTEL_SDK_DISABLED=false is no opt-out",
			config: consentGiven,
			env:    map[string]string{"OTEL_SDK_DISABLED": "false"},
			runs:   [][]string{{"version"}},
			want:   []string{"cli_version"},
		},
		{
			name:   "config.json with a duplicate key fails closed",
			config: `{"telemetryDisabled": true, "telemetryDisabled": false}`,
			runs:   [][]string{{"version"}, {"telemetry", "status"}},
		},
		{
			name:   "DISABLE_TELEMETRY=1 blocks enable",
			config: `{"telemetryDisabled": true}`,
			env:    map[string]string{"DISABLE_TELEMETRY": "1"},
			runs:   [][]string{{"telemetry", "enable"}, {"version"}},
		},
		{
			name:   "enable then a command sends again",
			config: `{"telemetryDisabled": true}`,
			runs:   [][]string{{"version"}, {"telemetry", "enable"}, {"version"}},
			want:   []string{"cli_telemetry_enable", "cli_version"},
		},
		{
			name:   "no consent recorded and no terminal",
			config: "",
			runs:   [][]string{{"version"}, {"version"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			if tt.config != "" {
				s.WriteConfig(tt.config)
			}
			s.Extra = tt.env
			for _, args := range tt.runs {
				s.MustRun(args...)
			}
			if tt.want == nil {
				s.AssertNoRequests()
				return
			}
			s.Events(len(tt.want))
			settle(s) // no more than those
			evs := s.Server.Events()
			var got []string
			for _, e := range evs {
				got = append(got, e.Event)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("events = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDisableSaysWhatChanged(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	s.WriteEnvFile("DEPLOYMENT_ID=0b0e8f3c-8a4e-4a53-9d84-7b1c1d9e2f10\n")

	// Each run says which deployment .env it changed, by path, or that it
	// changed none.
	for _, step := range []struct {
		cmd   string
		want  []string
		avoid []string
	}{
		{"disable", []string{"telemetryDisabled", "deployment: set DISABLE_TELEMETRY=1 in " + s.EnvPath(), "elmo start"}, nil},
		{"disable", []string{"nothing changed", "deployment: " + s.EnvPath() + " already sets DISABLE_TELEMETRY=1; it was not changed"}, []string{"elmo start"}},
		{"enable", []string{"deployment: removed DISABLE_TELEMETRY from " + s.EnvPath(), "elmo start"}, nil},
		{"enable", []string{"nothing changed", "deployment: " + s.EnvPath() + " does not set DISABLE_TELEMETRY; it was not changed"}, []string{"elmo start"}},
	} {
		res := s.MustRun("telemetry", step.cmd)
		for _, want := range step.want {
			if !strings.Contains(res.Stdout, want) {
				t.Errorf("%s output lacks %q:\n%s", step.cmd, want, res.Stdout)
			}
		}
		for _, avoid := range step.avoid {
			if strings.Contains(res.Stdout, avoid) {
				t.Errorf("%s output says %q although nothing changed:\n%s", step.cmd, avoid, res.Stdout)
			}
		}
		if step.cmd == "disable" {
			s.AssertNoRequests()
		}
	}
	// Positive control for the assertion above: the enable runs sent.
	if evs := s.Events(2); len(posthogtest.Named(evs, "cli_telemetry_enable")) != 2 {
		t.Errorf("events = %s, want two cli_telemetry_enable", posthogtest.Names(evs))
	}
}

func TestDisableCreatesNoDeployment(t *testing.T) {
	s := newSandbox(t)
	res := s.MustRun("telemetry", "disable")
	want := "deployment: no .env in " + s.Dir + ", so no deployment's .env was changed; 'elmo start' runs any deployment, whatever its directory, with telemetry off"
	if !strings.Contains(res.Stdout, want) {
		t.Errorf("disable without a deployment does not say so; want %q in:\n%s", want, res.Stdout)
	}
	res = s.MustRun("telemetry", "enable")
	if want := "deployment: no .env in " + s.Dir + ", so no deployment's .env was changed"; !strings.Contains(res.Stdout, want) {
		t.Errorf("enable without a deployment does not say so; want %q in:\n%s", want, res.Stdout)
	}
	if _, err := readFileIfExists(s.EnvPath()); err == nil {
		t.Errorf("disable created %s", s.EnvPath())
	}
}
