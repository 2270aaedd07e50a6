package main

import (
	"os"
	"strings"
	"testing"
)

func readFileIfExists(path string) (string, error) {
	data, err := os.ReadFile(path)
	return string(data), err
}

// TestEnvSurvivesDisableEnable checks that the deployment .env, with its
// comments, custom keys and layout, is byte-identical after disable then
// enable, and that disable left everything but its own line alone.
func TestEnvSurvivesDisableEnable(t *testing.T) {
	tests := []struct {
		name string
		env  string
	}{
		{"comments and custom keys", "# Elmo deployment\n\nDEPLOYMENT_ID=0b0e8f3c-8a4e-4a53-9d84-7b1c1d9e2f10\n# keys\nOPENAI_API_KEY='sk-test # not a comment'\nexport MY_VAR=\"multi\nline\"   # trailing\nEMPTY=\n\n"},
		{"no final line break", "DEPLOYMENT_ID=x\nCUSTOM=value"},
		{"CRLF line breaks", "# windows\r\nDEPLOYMENT_ID=x\r\nCUSTOM=1\r\n"},
		{"empty file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			s.WriteConfig(consentGiven)
			s.WriteEnvFile(tt.env)

			s.MustRun("telemetry", "disable")
			disabled := s.EnvFile()
			if !strings.Contains(disabled, "DISABLE_TELEMETRY=1") {
				t.Fatalf("after disable, .env lacks DISABLE_TELEMETRY=1:\n%q", disabled)
			}
			if rest := strings.Replace(disabled, "DISABLE_TELEMETRY=1", "", 1); len(rest) < len(tt.env) {
				t.Errorf("disable removed bytes: before %q, after %q", tt.env, disabled)
			}
			s.MustRun("telemetry", "enable")
			if got := s.EnvFile(); got != tt.env {
				t.Errorf("after disable and enable:\n got %q\nwant %q", got, tt.env)
			}
		})
	}
}
