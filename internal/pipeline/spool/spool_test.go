package spool

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/processors"
)

// spoolEvent returns a valid cli_version event, i-th in time order, with
// pad bytes of padding in a property the catalog does not have (used to
// reach the byte cap; such a line is dropped when read back).
func spoolEvent(i, pad int) exporter.Event {
	props := map[string]any{"exit_code": 0, "version": "1.2.3", "duration_ms": 1, "success": true}
	if pad > 0 {
		props["pad"] = strings.Repeat("x", pad)
	}
	return exporter.Event{
		UUID:       fmt.Sprintf("3e0ac4c8-6a41-5c7e-9d2b-%012d", i),
		Event:      "cli_version",
		DistinctID: "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10",
		Timestamp:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Properties: props,
	}
}

func TestSpoolCaps(t *testing.T) {
	policy := processors.DefaultPolicy()
	for _, tc := range []struct {
		name       string
		events     int
		pad        int
		wantEvents int // at most
	}{
		{"events", MaxEvents + 250, 0, MaxEvents},
		{"bytes", 400, 4 << 10, spoolMaxBytes / (4 << 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			var evs []exporter.Event
			for i := range tc.events {
				evs = append(evs, spoolEvent(i, tc.pad))
			}
			if err := Update(context.Background(), path, policy, nil, evs, false); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(data) > spoolMaxBytes || len(lines) > tc.wantEvents {
				t.Errorf("spool holds %d lines, %d bytes; caps are %d lines, %d bytes", len(lines), len(data), tc.wantEvents, spoolMaxBytes)
			}
			if len(lines) < tc.wantEvents/2 {
				t.Errorf("spool holds only %d lines: the cap dropped too much", len(lines))
			}
			// The newest are kept, the oldest dropped.
			if !strings.Contains(lines[len(lines)-1], evs[len(evs)-1].UUID) || strings.Contains(string(data), evs[0].UUID) {
				t.Error("the cap did not keep the newest events")
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, `{"v":1,`) {
					t.Fatalf("a spool line without the format version: %.80s", l)
				}
			}
		})
	}
}

func TestSpoolReadKeepsOnlyValidLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	good := spoolEvent(1, 0)
	if err := Update(context.Background(), path, processors.DefaultPolicy(), nil, []exporter.Event{good, spoolEvent(2, 10)}, false); err != nil {
		t.Fatal(err)
	}
	evs, dropped, err := Read(path, processors.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].UUID != good.UUID || dropped != 1 {
		t.Errorf("read %d events (%v), dropped %d; want the one valid event and one drop", len(evs), evs, dropped)
	}
}

func TestDefaultPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"XDG_STATE_HOME", map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "/state"}, "/state/elmo/telemetry-spool.jsonl"},
		{"default", map[string]string{"HOME": "/home/u"}, "/home/u/.local/state/elmo/telemetry-spool.jsonl"},
		{"relative XDG_STATE_HOME", map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "state"}, "/home/u/.local/state/elmo/telemetry-spool.jsonl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DefaultPath(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got != filepath.FromSlash(tc.want) {
				t.Errorf("DefaultPath = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	policy := processors.DefaultPolicy()
	for _, tc := range []struct {
		name     string
		old, cur int // events in the old and the current spool
		want     int
	}{
		{"into a new directory", 3, 0, 3},
		{"into an existing spool", 3, 2, 5},
		{"within the caps", MaxEvents, 10, MaxEvents},
		{"an empty old spool", 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			legacy := filepath.Join(root, "config", "elmo", FileName)
			path := filepath.Join(root, "state", "elmo", FileName)
			var old, cur []exporter.Event
			for i := range tc.old {
				old = append(old, spoolEvent(i, 0))
			}
			for i := range tc.cur {
				cur = append(cur, spoolEvent(tc.old+i, 0))
			}
			if err := os.MkdirAll(filepath.Dir(legacy), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(legacy, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := Update(context.Background(), legacy, policy, nil, old, false); err != nil {
				t.Fatal(err)
			}
			if len(cur) > 0 {
				if err := Update(context.Background(), path, policy, nil, cur, false); err != nil {
					t.Fatal(err)
				}
			}
			if err := Migrate(context.Background(), legacy, path, policy); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{legacy, legacy + ".lock"} {
				if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s is still there after the migration (%v)", p, err)
				}
			}
			got, dropped, err := Read(path, policy)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want || dropped != 0 {
				t.Errorf("the spool holds %d events (%d dropped), want %d", len(got), dropped, tc.want)
			}
			if tc.want == 0 {
				return
			}
			for p, mode := range map[string]fs.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != mode {
					t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), mode)
				}
			}
			// A second migration finds nothing to move and changes nothing.
			if err := Migrate(context.Background(), legacy, path, policy); err != nil {
				t.Fatal(err)
			}
			if again, _, _ := Read(path, policy); len(again) != tc.want {
				t.Errorf("a second migration left %d events, want %d", len(again), tc.want)
			}
		})
	}
}

// A state directory that cannot be one (a file in its place) is refused
// before anything moves: the old spool stays as it was.
func TestMigrateUnusableDirectory(t *testing.T) {
	policy := processors.DefaultPolicy()
	root := t.TempDir()
	legacy := filepath.Join(root, FileName+".old")
	if err := Update(context.Background(), legacy, policy, nil, []exporter.Event{spoolEvent(1, 0)}, false); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(legacy)
	if err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(root, "state")
	if err := os.WriteFile(blocker, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		filepath.Join(blocker, FileName),
		filepath.Join(blocker, "elmo", FileName),
	} {
		if err := Migrate(context.Background(), legacy, path, policy); err == nil {
			t.Errorf("Migrate to %s: no error, want one", path)
		}
		if after, err := os.ReadFile(legacy); err != nil || string(after) != string(before) {
			t.Errorf("the old spool changed: %v", err)
		}
	}
}
