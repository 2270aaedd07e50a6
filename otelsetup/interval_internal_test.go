package otelsetup

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

// OTEL_METRIC_EXPORT_INTERVAL is used only when it is a positive whole
// number of milliseconds that a time.Duration holds; any other value is
// refused and the role's default kept, never the SDK's minute.
func TestMetricInterval(t *testing.T) {
	tests := []struct {
		value   string
		cli     time.Duration
		deploy  time.Duration
		refused string // what the refusal says; "" when the value is used
	}{
		{value: "", cli: cliMetricInterval, deploy: DefaultDeploymentMetricInterval},
		{value: "1000", cli: time.Second, deploy: time.Second},
		{value: " 1500 ", cli: 1500 * time.Millisecond, deploy: 1500 * time.Millisecond},
		{value: "abc", cli: cliMetricInterval, deploy: DefaultDeploymentMetricInterval, refused: "whole number"},
		{value: "1.5", cli: cliMetricInterval, deploy: DefaultDeploymentMetricInterval, refused: "whole number"},
		{value: "10s", cli: cliMetricInterval, deploy: DefaultDeploymentMetricInterval, refused: "whole number"},
		{value: "0", cli: cliMetricInterval, deploy: DefaultDeploymentMetricInterval, refused: "positive"},
		{value: "-5", cli: cliMetricInterval, deploy: DefaultDeploymentMetricInterval, refused: "positive"},
		// One more millisecond than a time.Duration holds: multiplied
		// out, it would wrap to a negative duration.
		{value: "9223372036855", cli: cliMetricInterval, deploy: DefaultDeploymentMetricInterval, refused: "at most"},
		{value: "99999999999999999999", cli: cliMetricInterval, deploy: DefaultDeploymentMetricInterval, refused: "at most"},
		{value: "9223372036854", cli: 9223372036854 * time.Millisecond, deploy: 9223372036854 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			for role, want := range map[Role]time.Duration{RoleCLI: tt.cli, RoleDeployment: tt.deploy} {
				got, err := metricInterval(role, tt.value)
				if got != want {
					t.Errorf("%v: interval %v, want %v", role, got, want)
				}
				switch {
				case tt.refused == "" && err != nil:
					t.Errorf("%v: refused: %v", role, err)
				case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused)):
					t.Errorf("%v: error %v, want one saying %q", role, err, tt.refused)
				}
			}
		})
	}
}

// The SDK's complaint about OTEL_METRIC_EXPORT_INTERVAL, which it makes
// whatever the reader's options, is dropped; its other diagnostics pass.
func TestSDKLogHandlerDropsTheIntervalComplaint(t *testing.T) {
	var buf bytes.Buffer
	log := logr.FromSlogHandler(sdkLogHandler{slog.NewTextHandler(&buf, nil)})
	log.Error(errors.New("invalid syntax"), "parse duration", sdkEnvKey, metricIntervalVar, "value", "abc")
	log.WithValues("k", "v").Error(errors.New("non-positive"), "non-positive duration", sdkEnvKey, metricIntervalVar, "value", "0")
	if buf.Len() != 0 {
		t.Errorf("the SDK's complaint passed:\n%s", buf.String())
	}
	log.Error(errors.New("invalid syntax"), "parse duration", sdkEnvKey, "OTEL_METRIC_EXPORT_TIMEOUT", "value", "abc")
	log.Info("something else")
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Errorf("%d lines passed, want 2:\n%s", n, buf.String())
	}
}
