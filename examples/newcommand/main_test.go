package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// unsetOTel makes sure the OTEL_* variables of the machine running the
// tests cannot send the spans elsewhere.
func unsetOTel(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_METRICS_EXPORTER", "")
}

// TestEventsArrive runs the example against a loopback PostHog server and
// checks what arrives: the automatic span of a command without telemetry
// code, the declared attribute of the export command without the file
// path, and the exit code of a failed run.
func TestEventsArrive(t *testing.T) {
	unsetOTel(t)
	tests := []struct {
		name      string
		args      func(dir string) []string
		wantCode  int
		wantEvent string
		wantProps map[string]any // besides the common properties
	}{
		{
			name:      "a command without telemetry code gets its span",
			args:      func(string) []string { return []string{"hello"} },
			wantEvent: "cli_hello",
			wantProps: map[string]any{"exit_code": 0.0, "success": true},
		},
		{
			name: "a declared attribute arrives, a path does not",
			args: func(dir string) []string {
				return []string{"export", "--format", "json", "--out", filepath.Join(dir, "report.json")}
			},
			wantEvent: "cli_export",
			wantProps: map[string]any{"exit_code": 0.0, "success": true, "format": "json"},
		},
		{
			name:      "a usage error is reported with exit code 2",
			args:      func(string) []string { return []string{"export", "--format", "xml"} },
			wantCode:  2,
			wantEvent: "cli_export",
			wantProps: map[string]any{"exit_code": 2.0, "success": false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			t.Cleanup(srv.Close)
			env := map[string]string{"ELMO_POSTHOG_HOST": srv.URL, "ELMO_POSTHOG_KEY": "phc_test"}
			dir := t.TempDir()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args(dir), func(k string) string { return env[k] }, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}

			// Shutdown waited for delivery: everything has arrived.
			evs := srv.Events()
			if len(evs) != 1 || evs[0].Event != tt.wantEvent {
				t.Fatalf("events = %v, want one %s", names(evs), tt.wantEvent)
			}
			ev := evs[0]
			if !uuidV4.MatchString(ev.DistinctID) {
				t.Errorf("distinct_id = %q, want the random install ID", ev.DistinctID)
			}
			for k, want := range tt.wantProps {
				if got := ev.Properties[k]; got != want {
					t.Errorf("%s = %v (%T), want %v", k, got, got, want)
				}
			}
			if _, ok := ev.Properties["output_path"]; ok {
				t.Errorf("output_path was sent: %s", ev.Raw)
			}
			if strings.Contains(string(ev.Raw), dir) {
				t.Errorf("the event holds the file path: %s", ev.Raw)
			}
			if tt.wantCode != 0 {
				if _, ok := ev.Properties["format"]; ok {
					t.Errorf("format was sent for a run that never got to set it: %s", ev.Raw)
				}
			}
		})
	}
}

// TestDefaultPrintsAndSendsNothing runs the example as `go run` does,
// without ELMO_POSTHOG_HOST: the event is printed on stderr, filtered like
// a sent one, and nothing reaches the server the key would allow.
func TestDefaultPrintsAndSendsNothing(t *testing.T) {
	unsetOTel(t)
	srv := posthogtest.NewServer()
	t.Cleanup(srv.Close)
	env := map[string]string{"ELMO_POSTHOG_KEY": "phc_test"}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), nil, func(k string) string { return env[k] }, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d\nstderr:\n%s", code, stderr.String())
	}
	var printed []map[string]any
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		var ev map[string]any
		if json.Unmarshal(sc.Bytes(), &ev) == nil {
			printed = append(printed, ev)
		}
	}
	if len(printed) != 1 || printed[0]["event"] != "cli_export" {
		t.Fatalf("printed events = %v, want one cli_export\nstderr:\n%s", printed, stderr.String())
	}
	props, _ := printed[0]["properties"].(map[string]any)
	if props["format"] != "csv" {
		t.Errorf("format = %v, want csv", props["format"])
	}
	if _, ok := props["output_path"]; ok {
		t.Errorf("output_path was printed: %v", props)
	}
	if !strings.Contains(stdout.String(), "output_path=") {
		t.Errorf("the program does not say which attributes it set:\n%s", stdout.String())
	}
	// run has returned: anything it sent has been answered.
	if reqs := srv.Requests(); len(reqs) != 0 {
		t.Errorf("the server got %d requests, want none", len(reqs))
	}
	// The example removes its temporary config.json.
	m := regexp.MustCompile(`in (\S+config\.json)\)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("stdout does not name the config file:\n%s", stdout.String())
	}
	if _, err := os.Stat(m[1]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s is left behind (stat: %v)", m[1], err)
	}
}

func names(evs []posthogtest.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Event
	}
	return out
}
