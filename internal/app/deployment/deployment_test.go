package deployment_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/elmohq/telemetry/internal/app/deployment"
)

func TestDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name string
		flag string
		vars map[string]string
		want string
	}{
		{"flag wins", "/from/flag", map[string]string{"ELMO_DIR": "/from/env", "HOME": "/home/u"}, "/from/flag"},
		{"then ELMO_DIR", "", map[string]string{"ELMO_DIR": "/from/env", "HOME": "/home/u"}, "/from/env"},
		{"then ~/.elmo", "", map[string]string{"HOME": "/home/u"}, "/home/u/.elmo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deployment.Dir(tt.flag, env(tt.vars))
			if err != nil || got != tt.want {
				t.Errorf("Dir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func write(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.WriteFile(deployment.EnvPath(dir), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(deployment.EnvPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadState(t *testing.T) {
	tests := []struct {
		name    string
		content *string
		want    deployment.State
	}{
		{"no deployment", nil, deployment.State{}},
		{"on", ptr("DEPLOYMENT_ID=abc\n"), deployment.State{Exists: true, DeploymentID: "abc"}},
		{"DISABLE_TELEMETRY=1", ptr("DISABLE_TELEMETRY=1\n"), deployment.State{Exists: true, OptOutVar: "DISABLE_TELEMETRY"}},
		{"DISABLE_TELEMETRY=0 is on", ptr("DISABLE_TELEMETRY=0\n"), deployment.State{Exists: true}},
		{"DO_NOT_TRACK=yes", ptr("DO_NOT_TRACK=yes\n"), deployment.State{Exists: true, OptOutVar: "DO_NOT_TRACK"}},
		{"OTEL_SDK_DISABLED=true", ptr("OTEL_SDK_DISABLED=true\n"), deployment.State{Exists: true, OptOutVar: "OTEL_SDK_DISABLED"}},
		{"OTEL_SDK_DISABLED=false is on", ptr("OTEL_SDK_DISABLED=false\n"), deployment.State{Exists: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.content != nil {
				write(t, dir, *tt.content)
			}
			got, err := deployment.ReadState(dir)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.EnvPath = deployment.EnvPath(dir)
			if got != tt.want {
				t.Errorf("ReadState = %+v, want %+v", got, tt.want)
			}
			if on := tt.content != nil && tt.want.OptOutVar == ""; got.TelemetryEnabled() != on {
				t.Errorf("TelemetryEnabled = %v, want %v", got.TelemetryEnabled(), on)
			}
		})
	}
}

func TestSetTelemetry(t *testing.T) {
	dir := t.TempDir()
	if c, err := deployment.SetTelemetry(dir, false); err != nil || c != deployment.NoDeployment {
		t.Fatalf("SetTelemetry without .env = %v, %v; want NoDeployment", c, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".env")); err == nil {
		t.Fatal("SetTelemetry created .env")
	}

	const orig = "# keep me\nA=1\nexport B='x y' # comment\n"
	write(t, dir, orig)
	steps := []struct {
		enabled bool
		want    deployment.Change
		content string
	}{
		{false, deployment.Changed, orig + "DISABLE_TELEMETRY=1\n"},
		{false, deployment.Unchanged, orig + "DISABLE_TELEMETRY=1\n"},
		{true, deployment.Changed, orig},
		{true, deployment.Unchanged, orig},
	}
	for i, s := range steps {
		c, err := deployment.SetTelemetry(dir, s.enabled)
		if err != nil || c != s.want {
			t.Errorf("step %d: SetTelemetry(%v) = %v, %v; want %v", i, s.enabled, c, err, s.want)
		}
		if got := read(t, dir); got != s.content {
			t.Errorf("step %d: .env = %q, want %q", i, got, s.content)
		}
	}

	// A value other than 1 is rewritten in place.
	write(t, dir, "DISABLE_TELEMETRY=false\nA=1\n")
	if c, _ := deployment.SetTelemetry(dir, false); c != deployment.Changed || read(t, dir) != "DISABLE_TELEMETRY=1\nA=1\n" {
		t.Errorf("rewriting DISABLE_TELEMETRY=false: %v, %q", c, read(t, dir))
	}
}

func ptr(s string) *string { return &s }
