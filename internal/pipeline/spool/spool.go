// Package spool keeps the events a CLI run could not deliver within its
// exit budget, for a later run to send: a bounded file of JSON lines,
// locked and replaced atomically, each line checked against the policy
// again before it is sent.
package spool

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

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/internal/pipeline/atomicfile"
	"github.com/elmohq/telemetry/internal/pipeline/jsonl"
	"github.com/elmohq/telemetry/internal/pipeline/userdir"
	"github.com/elmohq/telemetry/processors"
)

// The spool holds events a CLI run could not deliver within its exit
// budget, for a later run to send. It is bounded: past either cap the
// oldest events are dropped.
const (
	// FileName is the name of the CLI's spool file.
	FileName = "telemetry-spool.jsonl"
	// MaxEvents is the most events the spool holds.
	MaxEvents     = 1000
	spoolMaxBytes = 1 << 20
	// spoolVersion is the format of a spool line. A line of another
	// format (from an older Elmo, or planted) is never sent.
	spoolVersion = 1
)

// spoolLine is one line of the spool: an event as the exporter made it,
// with the format version.
type spoolLine struct {
	V int `json:"v"`
	exporter.Event
}

// DefaultPath returns where the CLI keeps its spool:
// $XDG_STATE_HOME/elmo/telemetry-spool.jsonl, or
// ~/.local/state/elmo/telemetry-spool.jsonl when XDG_STATE_HOME is unset
// or not an absolute path, on every operating system. getenv looks
// variables up; nil means os.Getenv.
func DefaultPath(getenv func(string) string) (string, error) {
	dir, err := userdir.State(getenv)
	if err != nil {
		return "", fmt.Errorf("cannot find the telemetry spool: %w", err)
	}
	return filepath.Join(dir, FileName), nil
}

// LegacyPath returns where earlier versions of the CLI kept the spool
// that belongs to the config file at configPath: a file beside it. Migrate
// moves what it holds to the spool's place.
func LegacyPath(configPath string) string {
	return filepath.Join(filepath.Dir(configPath), FileName)
}

// Migrate moves the events of the spool at legacy, the old location, into
// the spool at path, within the spool's caps, and deletes the old file
// and its lock. It creates the directory of path when it must. Lines that
// may not be sent are dropped on the way, like any line Read skips.
//
// Migrate first checks that the directory of path can hold the spool (it
// exists as a directory or can be created): when it cannot, it returns an
// error and leaves the old file as it was, and the caller keeps no spool.
// With no old file it writes nothing.
func Migrate(ctx context.Context, legacy, path string, policy *processors.Policy) error {
	if err := usableDir(filepath.Dir(path)); err != nil {
		return err
	}
	if legacy == "" || legacy == path {
		return nil
	}
	if _, err := os.Lstat(legacy); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	events, _, err := Read(legacy, policy)
	if err != nil {
		return err
	}
	if len(events) > 0 {
		if err := Update(ctx, path, policy, nil, events, false); err != nil {
			return err
		}
	}
	if err := Remove(legacy); err != nil {
		return err
	}
	_ = os.Remove(legacy + ".lock")
	return nil
}

// usableDir reports, without creating anything, why dir cannot hold the
// spool: a path on the way to it that exists and is not a directory, or
// that cannot be looked at. A directory that does not exist yet is
// created by the first write.
func usableDir(dir string) error {
	for d := dir; ; {
		fi, err := os.Stat(d)
		switch {
		case err == nil && fi.IsDir():
			return nil
		case err == nil:
			return fmt.Errorf("cannot keep the telemetry spool in %s: %s is not a directory", dir, d)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("cannot keep the telemetry spool in %s: %w", dir, err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil
		}
		d = parent
	}
}

// Stats returns how many events the spool at path holds and its size in
// bytes. A missing spool is empty, not an error.
func Stats(path string) (events int, size int64, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cannot read the telemetry spool: %w", err)
	}
	evs, _, err := Read(path, processors.DefaultPolicy())
	if err != nil {
		return 0, 0, err
	}
	return len(evs), fi.Size(), nil
}

// Remove deletes the spool at path, if there is one. Disabling telemetry
// calls it, so that nothing collected before is sent later.
func Remove(path string) error {
	err := os.Remove(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove the telemetry spool: %w", err)
	}
	return nil
}

// Read reads the events of the spool at path that may still be
// sent: lines of the current format whose event passes policy's check on
// the wire form ([processors.Policy.CheckEvent]) and carries a random
// install ID. Every other line is skipped and counted in dropped: one
// damaged or planted line must not cost the others, and must never be
// sent.
func Read(path string, policy *processors.Policy) (events []exporter.Event, dropped int, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read the telemetry spool: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), spoolMaxBytes)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var line spoolLine
		if json.Unmarshal(sc.Bytes(), &line) != nil || !spoolable(line, policy) {
			dropped++
			continue
		}
		events = append(events, line.Event)
	}
	if sc.Err() != nil {
		// A line longer than the cap: what follows it is not read.
		dropped++
	}
	return events, dropped, nil
}

// spoolable reports whether a decoded spool line may be sent.
func spoolable(line spoolLine, policy *processors.Policy) bool {
	ev := line.Event
	return line.V == spoolVersion &&
		uuidShape(ev.UUID) &&
		catalog.IsRandomUUID(ev.DistinctID) &&
		!ev.Timestamp.IsZero() &&
		policy.CheckEvent(ev.Event, ev.Properties) == nil
}

// uuidShape reports whether s is a UUID in canonical lower-case form, of
// any version: event UUIDs are derived (version 5).
func uuidShape(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		default:
			return false
		}
	}
	return true
}

// Update rewrites the spool at path under its lock: the events sent
// from it by this run (replayed) leave it, the events this run could not
// deliver join it, lines that may not be sent leave it, and the caps
// apply, dropping the oldest first. An empty spool is removed. rewrite
// asks for the rewrite even when no event moved, to remove lines that
// may not be sent.
func Update(ctx context.Context, path string, policy *processors.Policy, replayed, undelivered []exporter.Event, rewrite bool) error {
	if len(replayed) == 0 && len(undelivered) == 0 && !rewrite {
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

	if len(replayed) == 0 && !rewrite {
		// Only new events, from a command on its way out: appended while
		// the spool stays within its caps, without reading back and
		// checking every line, which the sender does before it sends.
		raw, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot read the telemetry spool: %w", err)
		}
		if jsonl.AppendWithin(path, raw, encodeLines(undelivered), MaxEvents, spoolMaxBytes) {
			return nil
		}
	}

	current, _, err := Read(path, policy)
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

	lines := jsonl.Newest(encodeLines(kept), MaxEvents, spoolMaxBytes)
	if len(lines) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the telemetry spool: %w", err)
		}
		return nil
	}
	// Not synced: the spool is written on a command's way out, and a crash
	// of the machine costs at most the events it held.
	return atomicfile.WriteFileUnsynced(path, bytes.Join(lines, nil), 0o600)
}

// encodeLines returns the spool lines of events, each ending in a
// newline; an event that cannot be encoded has none.
func encodeLines(events []exporter.Event) [][]byte {
	lines := make([][]byte, 0, len(events))
	for _, ev := range events {
		line, err := json.Marshal(spoolLine{V: spoolVersion, Event: ev})
		if err != nil {
			continue
		}
		lines = append(lines, append(line, '\n'))
	}
	return lines
}
