package spool

import (
	"context"
	"fmt"
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
