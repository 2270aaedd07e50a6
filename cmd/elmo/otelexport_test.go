package main

import (
	"strings"
	"testing"
)

// An exporter chosen with OTEL_TRACES_EXPORTER that cannot export says so
// in one line on stderr at exit, and nothing more; the PostHog route, and
// a chosen exporter that works, print nothing.
func TestChosenExporterErrorsAreVisible(t *testing.T) {
	dead := refusingHost(t)
	tests := []struct {
		name     string
		env      map[string]string
		wantLine bool
	}{
		{"otlp, dead port", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": dead}, true},
		{"otlp, endpoint without scheme", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": strings.TrimPrefix(dead, "http://")}, true},
		{"posthog, dead port", map[string]string{"ELMO_POSTHOG_HOST": dead}, false},
		{"console", map[string]string{"OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "none"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			s.WriteConfig(consentGiven)
			res := s.RunEnv(tt.env, "version")
			if res.Code != 0 {
				t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
			}
			lines := strings.Split(strings.TrimSpace(res.Stderr), "\n")
			if !tt.wantLine {
				if strings.TrimSpace(res.Stderr) != "" {
					t.Errorf("stderr:\n%s\nwant nothing", res.Stderr)
				}
				return
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "elmo: telemetry was not exported (OTEL_*_EXPORTER=otlp): ") {
				t.Errorf("stderr:\n%s\nwant one line saying the export failed", res.Stderr)
			}
		})
	}
}
