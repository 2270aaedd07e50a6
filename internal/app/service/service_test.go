package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"testing"
)

func TestStopIsClean(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	boom := errors.New("boom")
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want error
	}{
		{"no error", live, nil, nil},
		{"failure", live, boom, boom},
		{"cancelled while running", live, context.Canceled, context.Canceled},
		{"stopped while starting", ended, fmt.Errorf("waiting for the lock: %w", context.Canceled), nil},
		{"failure after a stop", ended, boom, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stopIsClean(tt.ctx, tt.err); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStartTelemetryOff(t *testing.T) {
	env := map[string]string{"DISABLE_TELEMETRY": "1"}
	shutdown, err := StartTelemetry(context.Background(), "elmo-web", "1.2.3",
		func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	shutdown()
	shutdown()
}

func TestStartTelemetryRejectsABadName(t *testing.T) {
	if _, err := StartTelemetry(context.Background(), "", "", func(string) string { return "" }, slog.Default()); err == nil {
		t.Error("a service without a name was accepted")
	}
}

// A service started with telemetry off deletes the events an earlier run
// kept to send: turning telemetry off means nothing collected before goes
// out later.
func TestStartTelemetryOffRemovesTheSpool(t *testing.T) {
	dir := t.TempDir()
	spool := SpoolPath(dir, "elmo-worker")
	if err := os.WriteFile(spool, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DISABLE_TELEMETRY": "1", "ELMO_DIR": dir}
	shutdown, err := StartTelemetry(context.Background(), "elmo-worker", "1.2.3",
		func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	shutdown()
	if _, err := os.Stat(spool); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the spool is still there with telemetry off: %v", err)
	}
}

// A setting telemetry cannot use never stops a service: StartTelemetry
// succeeds with telemetry off, says so in one line of the log naming the
// variable, and keeps the events an earlier run kept to send, for a
// start that can send them.
func TestStartTelemetryWithAnUnusableSetting(t *testing.T) {
	dir := t.TempDir()
	spool := SpoolPath(dir, "elmo-web")
	if err := os.WriteFile(spool, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ELMO_DIR":             dir,
		"DEPLOYMENT_ID":        "0b6d3f7e-2c1a-4e8b-9f5d-6a4c2e1b0d93",
		"ELMO_POSTHOG_KEY":     "phc_test",
		"ELMO_POSTHOG_CAPTURE": "v9",
	}
	var logs bytes.Buffer
	shutdown, err := StartTelemetry(context.Background(), "elmo-web", "1.2.3",
		func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("StartTelemetry: %v", err)
	}
	shutdown()
	if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), "ELMO_POSTHOG_CAPTURE") {
		t.Errorf("want one log line naming ELMO_POSTHOG_CAPTURE:\n%s", logs.String())
	}
	if _, err := os.Stat(spool); err != nil {
		t.Errorf("the spool is gone: %v", err)
	}
}
