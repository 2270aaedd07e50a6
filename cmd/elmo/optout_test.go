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
				s.writeConfig(tt.config)
			}
			s.extra = tt.env
			for _, args := range tt.runs {
				s.mustRun(args...)
			}
			if tt.want == nil {
				s.assertNoRequests()
				return
			}
			evs := s.events(len(tt.want))
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
	s.writeConfig(consentGiven)
	s.writeEnvFile("DEPLOYMENT_ID=0b0e8f3c-8a4e-4a53-9d84-7b1c1d9e2f10\n")

	res := s.mustRun("telemetry", "disable")
	for _, want := range []string{"telemetryDisabled", "DISABLE_TELEMETRY=1", "elmo start"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("disable output lacks %q:\n%s", want, res.stdout)
		}
	}
	res = s.mustRun("telemetry", "disable")
	if !strings.Contains(res.stdout, "nothing changed") || strings.Contains(res.stdout, "elmo start") {
		t.Errorf("a second disable should change nothing:\n%s", res.stdout)
	}
	s.assertNoRequests()

	res = s.mustRun("telemetry", "enable")
	if !strings.Contains(res.stdout, "removed DISABLE_TELEMETRY") {
		t.Errorf("enable output does not say the .env line was removed:\n%s", res.stdout)
	}
	res = s.mustRun("telemetry", "enable")
	if !strings.Contains(res.stdout, "nothing changed") {
		t.Errorf("a second enable should change nothing:\n%s", res.stdout)
	}
	// Positive control for the assertion above: the enable runs sent.
	if evs := s.events(2); len(posthogtest.Named(evs, "cli_telemetry_enable")) != 2 {
		t.Errorf("events = %s, want two cli_telemetry_enable", posthogtest.Names(evs))
	}
}

func TestDisableCreatesNoDeployment(t *testing.T) {
	s := newSandbox(t)
	res := s.mustRun("telemetry", "disable")
	if !strings.Contains(res.stdout, "No deployment") {
		t.Errorf("disable without a deployment does not say so:\n%s", res.stdout)
	}
	if _, err := readFileIfExists(s.envPath()); err == nil {
		t.Errorf("disable created %s", s.envPath())
	}
}
