package otelsetup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
	"github.com/elmohq/telemetry/otelsetup"
)

// The CLI keeps its spool in the state directory: $XDG_STATE_HOME/elmo,
// else ~/.local/state/elmo; never beside config.json.
func TestDefaultSpoolPath(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state func(e *env) string // XDG_STATE_HOME, "" for unset
		want  func(e *env) string
	}{
		{
			name:  "XDG_STATE_HOME",
			state: func(e *env) string { return filepath.Join(e.dir, "state") },
			want:  func(e *env) string { return filepath.Join(e.dir, "state", "elmo", "telemetry-spool.jsonl") },
		},
		{
			name:  "unset",
			state: func(*env) string { return "" },
			want: func(e *env) string {
				return filepath.Join(e.dir, "home", ".local", "state", "elmo", "telemetry-spool.jsonl")
			},
		},
		{
			name:  "not absolute",
			state: func(*env) string { return "state" },
			want: func(e *env) string {
				return filepath.Join(e.dir, "home", ".local", "state", "elmo", "telemetry-spool.jsonl")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t).consentGiven()
			e.vars["XDG_STATE_HOME"] = tc.state(e)
			e.server.SetDefault(posthogtest.Hang())
			tel := e.start()
			emit("cli_start")
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if events, _, err := spool.Stats(tc.want(e)); err != nil || events != 1 {
				t.Errorf("the spool at %s holds %d events (%v), want 1", tc.want(e), events, err)
			}
			if _, err := os.Stat(spool.LegacyPath(e.configPath)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a spool beside config.json: %v", err)
			}
		})
	}
}

// A spool that an earlier version kept beside config.json is read once:
// its events move to the state directory, which is created for them, the
// old file goes, and each event is delivered exactly once.
func TestLegacySpoolMigrated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		current bool // the new spool already holds events
	}{
		{"into a new state directory", false},
		{"into an existing spool", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t).consentGiven()
			legacy := spool.LegacyPath(e.configPath)
			e.server.SetDefault(posthogtest.Hang())
			// What an earlier version left beside config.json, and what
			// this version spooled already.
			paths := []string{legacy, legacy}
			if tc.current {
				paths[1] = e.spoolPath
			}
			for _, p := range paths {
				tel := e.start(otelsetup.WithSpoolPath(p))
				emit("cli_start")
				if err := tel.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			want := spoolUUIDs(t, legacy)
			if tc.current {
				want = append(want, spoolUUIDs(t, e.spoolPath)...)
			} else if _, err := os.Stat(filepath.Dir(e.spoolPath)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the state directory exists before the migration: %v", err)
			}
			slices.Sort(want)
			if len(want) != 2 {
				t.Fatalf("%d events spooled, want 2", len(want))
			}

			e.server.SetDefault(posthogtest.Accept())
			for range 2 {
				tel := e.start()
				if err := tel.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
				e.send()
			}
			if got := deliveredUUIDs(e.server); !slices.Equal(got, want) {
				t.Errorf("delivered %v, want each of %v once", got, want)
			}
			for _, p := range []string{legacy, legacy + ".lock", e.spoolPath} {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s is still there: %v", p, err)
				}
			}
		})
	}
}

// A state directory that cannot be one (a file stands where it should
// be) leaves the run without a spool: the command runs as it would have,
// its events are dropped (a command never sends them itself), the old
// spool stays where it is, untouched, and nothing is written.
func TestUnusableStateDirKeepsNoSpool(t *testing.T) {
	e := newEnv(t).consentGiven()
	legacy := spool.LegacyPath(e.configPath)
	e.server.SetDefault(posthogtest.Hang())
	tel := e.start(otelsetup.WithSpoolPath(legacy))
	emit("cli_start")
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(legacy)
	if err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Dir(e.spoolPath)
	if err := os.MkdirAll(filepath.Dir(blocker), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, []byte("a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e.dir)

	e.server.SetDefault(posthogtest.Accept())
	tel = e.start()
	emit("cli_version")
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !tel.Enabled() {
		t.Fatal("telemetry is off: an unusable state directory must only cost the spool")
	}
	if n := len(e.server.Requests()); n != 0 {
		t.Errorf("the command sent %d requests itself", n)
	}
	if after, err := os.ReadFile(legacy); err != nil || string(after) != string(old) {
		t.Errorf("the old spool changed (%v)", err)
	}
	after := snapshot(t, e.dir)
	for p, content := range after {
		if b, ok := before[p]; !ok || b != content {
			t.Errorf("%s was written", p)
		}
	}
}
