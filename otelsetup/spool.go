package otelsetup

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gofrs/flock"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/internal/atomicfile"
)

// The spool holds events a CLI run could not deliver within its exit
// budget, for a later run to send. It is bounded: past either cap the
// oldest events are dropped.
const (
	spoolName      = "telemetry-spool.jsonl"
	spoolMaxEvents = 1000
	spoolMaxBytes  = 1 << 20
)

// SpoolPath returns the path of the spool of undelivered events that
// belongs to the config file at configPath: a file beside it.
func SpoolPath(configPath string) string {
	return filepath.Join(filepath.Dir(configPath), spoolName)
}

// SpoolStats returns how many events the spool beside configPath holds
// and its size in bytes. A missing spool is empty, not an error.
func SpoolStats(configPath string) (events int, size int64, err error) {
	path := SpoolPath(configPath)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cannot read the telemetry spool: %w", err)
	}
	evs, err := readSpool(path)
	if err != nil {
		return 0, 0, err
	}
	return len(evs), fi.Size(), nil
}

// RemoveSpool deletes the spool beside configPath, if there is one.
// Disabling telemetry calls it, so that nothing collected before is sent
// later.
func RemoveSpool(configPath string) error {
	err := os.Remove(SpoolPath(configPath))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove the telemetry spool: %w", err)
	}
	return nil
}

// readSpool reads the events of the spool at path. A line that does not
// decode is skipped: one damaged line must not cost the others.
func readSpool(path string) ([]exporter.Event, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the telemetry spool: %w", err)
	}
	var events []exporter.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), spoolMaxBytes)
	for sc.Scan() {
		var ev exporter.Event
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.UUID != "" && ev.Event != "" {
			events = append(events, ev)
		}
	}
	return events, nil
}

// updateSpool rewrites the spool at path under its lock: the events sent
// from it by this run (replayed) leave it, the events this run could not
// deliver join it, and the caps apply, dropping the oldest first. An empty
// spool is removed.
func updateSpool(ctx context.Context, path string, replayed, undelivered []exporter.Event) error {
	if len(replayed) == 0 && len(undelivered) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create the telemetry spool: %w", err)
	}
	lock := flock.New(path + ".lock")
	ok, err := lock.TryLockContext(ctx, 5*time.Millisecond)
	if err != nil || !ok {
		return fmt.Errorf("cannot lock the telemetry spool: %w", errors.Join(err, ctx.Err()))
	}
	defer func() { _ = lock.Unlock() }()

	current, err := readSpool(path)
	if err != nil {
		return err
	}
	gone := make(map[string]bool, len(replayed))
	for _, ev := range replayed {
		gone[ev.UUID] = true
	}
	for _, ev := range undelivered {
		delete(gone, ev.UUID)
	}
	seen := make(map[string]bool, len(current)+len(undelivered))
	var kept []exporter.Event
	for _, ev := range slices.Concat(current, undelivered) {
		if gone[ev.UUID] || seen[ev.UUID] {
			continue
		}
		seen[ev.UUID] = true
		kept = append(kept, ev)
	}
	slices.SortStableFunc(kept, func(a, b exporter.Event) int { return a.Timestamp.Compare(b.Timestamp) })

	lines := make([][]byte, 0, len(kept))
	for _, ev := range kept {
		line, err := json.Marshal(ev)
		if err != nil {
			continue
		}
		lines = append(lines, append(line, '\n'))
	}
	// Keep the newest events within both caps.
	size, first := 0, len(lines)
	for first > 0 && len(lines)-first < spoolMaxEvents && size+len(lines[first-1]) <= spoolMaxBytes {
		first--
		size += len(lines[first])
	}
	lines = lines[first:]
	if len(lines) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the telemetry spool: %w", err)
		}
		return nil
	}
	return atomicfile.WriteFile(path, bytes.Join(lines, nil), 0o600)
}
