// Package sentlog keeps a local, bounded record of the telemetry events a
// program sent, exactly as they went on the wire, and of those it dropped,
// with the reason: what `elmo telemetry log` shows.
//
// The CLI keeps its record in $XDG_STATE_HOME/elmo/telemetry-log.jsonl
// (default ~/.local/state/elmo/), a deployment's services in the
// deployment directory. The file holds one JSON record a line, oldest
// first, has mode 0600, and is capped: past MaxRecords records or MaxBytes
// bytes the oldest go. Each write replaces the file atomically, under a
// lock shared by every process that writes it.
//
// The newsletter signup is never recorded: the email typed for product
// updates is written nowhere.
package sentlog

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
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/internal/pipeline/atomicfile"
	"github.com/elmohq/telemetry/internal/pipeline/jsonl"
	"github.com/elmohq/telemetry/internal/pipeline/userdir"
)

// FileName is the name of the record's file.
const FileName = "telemetry-log.jsonl"

// The caps of the record: past either, the oldest records go.
const (
	MaxRecords = 500
	MaxBytes   = 256 << 10
)

// The outcomes of a Record.
const (
	// OutcomeSent: the server acknowledged the event.
	OutcomeSent = "sent"
	// OutcomeDropped: the program gave up on the event for good.
	OutcomeDropped = "dropped"
)

// Record is one event of the record.
type Record struct {
	// Time is when the outcome was known, in UTC.
	Time time.Time `json:"time"`
	// Outcome is OutcomeSent or OutcomeDropped.
	Outcome string `json:"outcome"`
	// Reason says why an event was dropped.
	Reason string `json:"reason,omitempty"`
	// UUID identifies the event; PostHog shows the same.
	UUID string `json:"uuid"`
	// Name is the event's name.
	Name string `json:"name"`
	// Event is the event's JSON: for a sent event, exactly as it was in
	// the request the server acknowledged; for a dropped one, as the
	// program made it.
	Event json.RawMessage `json:"event"`
}

// DefaultPath returns where the CLI keeps its record:
// $XDG_STATE_HOME/elmo/telemetry-log.jsonl, or
// ~/.local/state/elmo/telemetry-log.jsonl when XDG_STATE_HOME is unset or
// not an absolute path, on every operating system.
func DefaultPath(getenv func(string) string) (string, error) {
	dir, err := userdir.State(getenv)
	if err != nil {
		return "", fmt.Errorf("cannot find the telemetry log: %w", err)
	}
	return filepath.Join(dir, FileName), nil
}

// DeploymentPath returns where the services of the deployment in dir keep
// their record.
func DeploymentPath(dir string) string { return filepath.Join(dir, FileName) }

// Log collects records in memory and writes them to its file. Add is
// cheap and never touches the file, so it may be called on a delivery
// path; Write appends what was added. A Log is safe for concurrent use.
type Log struct {
	path string
	now  func() time.Time

	mu      sync.Mutex
	pending []Record
}

// New returns a Log that writes to the file at path. It creates nothing
// until the first Write with records to add.
func New(path string) (*Log, error) {
	if path == "" {
		return nil, errors.New("sentlog: the path of the telemetry log is empty")
	}
	return &Log{path: path, now: time.Now}, nil
}

// Path returns the path of the record's file.
func (l *Log) Path() string { return l.path }

// Add keeps sent and dropped events for the next Write; it has the
// signature of the exporter's delivery record (exporter.WithDeliveryRecord).
// At most MaxRecords are kept in memory, the oldest dropped first.
func (l *Log) Add(sent []exporter.Sent, dropped []exporter.Drop) {
	now := l.now().UTC()
	recs := make([]Record, 0, len(sent)+len(dropped))
	for _, s := range sent {
		var head struct {
			Event string `json:"event"`
		}
		if json.Unmarshal(s.Wire, &head) != nil || head.Event == catalog.EventNewsletterSignup {
			continue
		}
		recs = append(recs, Record{Time: now, Outcome: OutcomeSent, UUID: s.UUID, Name: head.Event, Event: bytes.Clone(s.Wire)})
	}
	for _, d := range dropped {
		if d.Event.Event == catalog.EventNewsletterSignup {
			continue
		}
		b, err := json.Marshal(d.Event)
		if err != nil {
			continue
		}
		recs = append(recs, Record{Time: now, Outcome: OutcomeDropped, Reason: d.Reason, UUID: d.Event.UUID, Name: d.Event.Event, Event: b})
	}
	if len(recs) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, recs...)
	if over := len(l.pending) - MaxRecords; over > 0 {
		l.pending = l.pending[over:]
	}
}

// Write appends the records added since the last Write to the file, under
// its lock, keeping the newest within the caps: while the file stays within
// them the records are appended to it, else the file is replaced
// atomically by its newest records, with mode 0600. It waits for the lock until ctx ends. With
// nothing to add it does nothing. Records it could not write are kept for
// the next Write.
func (l *Log) Write(ctx context.Context) error {
	l.mu.Lock()
	recs := l.pending
	l.pending = nil
	l.mu.Unlock()
	if len(recs) == 0 {
		return nil
	}
	if err := write(ctx, l.path, recs); err != nil {
		l.mu.Lock()
		l.pending = append(recs, l.pending...)
		if over := len(l.pending) - MaxRecords; over > 0 {
			l.pending = l.pending[over:]
		}
		l.mu.Unlock()
		return err
	}
	return nil
}

func write(ctx context.Context, path string, recs []Record) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create the directory of the telemetry log: %w", err)
	}
	lock := flock.New(path + ".lock")
	ok, err := lock.TryLockContext(ctx, 5*time.Millisecond)
	if err != nil || !ok {
		return fmt.Errorf("cannot lock the telemetry log %s: %w", path, errors.Join(err, ctx.Err()))
	}
	defer func() { _ = lock.Unlock() }()

	current, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot read the telemetry log: %w", err)
	}
	var lines [][]byte
	whole := 0 // the bytes of current that are whole records
	for line := range bytes.Lines(current) {
		if len(bytes.TrimSpace(line)) > 0 && bytes.HasSuffix(line, []byte("\n")) {
			lines = append(lines, line)
			whole += len(line)
		}
	}
	var fresh [][]byte
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			continue
		}
		fresh = append(fresh, append(b, '\n'))
	}
	if whole == len(current) && jsonl.AppendWithin(path, current, fresh, MaxRecords, MaxBytes) {
		// The file holds only whole records and stays within the caps.
		return nil
	}
	newest := jsonl.Newest(append(lines, fresh...), MaxRecords, MaxBytes)
	// Not synced: the log is a record for the person to read, written on
	// every command's way out, and a sync there costs every command
	// milliseconds on some disks. A crash of the machine may lose the
	// newest records or, rarely, the whole file; never a mix of two.
	return atomicfile.WriteFileUnsynced(path, bytes.Join(newest, nil), 0o600)
}

// Read returns the records of the file at path, oldest first. A missing
// file has none. A line that is not a record is skipped.
func Read(path string) ([]Record, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the telemetry log: %w", err)
	}
	defer f.Close()
	var recs []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), MaxBytes)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.UUID != "" {
			recs = append(recs, r)
		}
	}
	if err := sc.Err(); err != nil {
		return recs, fmt.Errorf("cannot read the telemetry log %s: %w", path, err)
	}
	return recs, nil
}

// Remove deletes the record at path and its lock file, if they exist.
func Remove(path string) error {
	var errs []error
	for _, p := range []string{path, path + ".lock"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("cannot delete the telemetry log: %w", err))
		}
	}
	return errors.Join(errs...)
}
