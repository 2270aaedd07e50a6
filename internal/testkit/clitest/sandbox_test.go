package clitest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A run inherits nothing of the machine running the tests but PATH: no
// opt-out variable, no CI, no OTEL_* setting.
func TestEnvInheritsOnlyPath(t *testing.T) {
	for _, k := range []string{"DO_NOT_TRACK", "DISABLE_TELEMETRY", "OTEL_SDK_DISABLED", "CI", "OTEL_TRACES_EXPORTER", "XDG_STATE_HOME"} {
		t.Setenv(k, "1")
	}
	s := New(t, WithUser("ada"))
	env := s.Env()
	want := map[string]string{
		"HOME":              filepath.Join(s.Root, "home", "ada"),
		"XDG_CONFIG_HOME":   filepath.Join(s.Root, "home", "ada", ".config"),
		"XDG_STATE_HOME":    filepath.Join(s.Root, "home", "ada", ".local", "state"),
		"ELMO_DIR":          filepath.Join(s.Root, "home", "ada", ".elmo"),
		"ELMO_POSTHOG_HOST": s.Server.URL,
		"ELMO_POSTHOG_KEY":  Key,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for k := range env {
		if _, ok := want[k]; !ok && k != "PATH" && k != "GORACE" {
			t.Errorf("the environment has %s, which the sandbox does not set", k)
		}
	}
	if s.ConfigPath() != filepath.Join(want["XDG_CONFIG_HOME"], "elmo", "config.json") ||
		s.SpoolPath() != filepath.Join(want["XDG_STATE_HOME"], "elmo", "telemetry-spool.jsonl") ||
		s.SentLogPath() != filepath.Join(want["XDG_STATE_HOME"], "elmo", "telemetry-log.jsonl") ||
		s.EnvPath() != filepath.Join(want["ELMO_DIR"], ".env") {
		t.Errorf("paths: %s, %s, %s, %s", s.ConfigPath(), s.SpoolPath(), s.SentLogPath(), s.EnvPath())
	}
}

// Extra and the layers of a run apply in order, and an empty value unsets
// a variable.
func TestEnvironLayers(t *testing.T) {
	s := New(t)
	s.Extra["DO_NOT_TRACK"] = "1"
	s.Extra["XDG_STATE_HOME"] = ""
	got := s.Environ(map[string]string{"DO_NOT_TRACK": "0"})
	if !slices.Contains(got, "DO_NOT_TRACK=0") {
		t.Errorf("a run's layer does not win over Extra: %v", got)
	}
	for _, kv := range got {
		if strings.HasPrefix(kv, "XDG_STATE_HOME=") {
			t.Errorf("an empty value did not unset the variable: %s", kv)
		}
	}
}
