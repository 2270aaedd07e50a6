package spool

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// The files beside a spool that its background sender keeps: the lock
// that lets one sender at a time deliver the spool, and the process ID
// of the sender that holds it, for `elmo telemetry status`.
const (
	senderLockSuffix = ".sender.lock"
	senderPIDSuffix  = ".sender.pid"
)

// SenderLock is the lock of the background sender of the spool at a path:
// whoever holds it is the one process delivering that spool. A command
// that has added to the spool takes it without waiting to learn that no
// sender runs, starts one, and lets it go; the sender then takes it for
// its whole run. The lock is released when its holder exits, however it
// exits.
type SenderLock struct {
	lock    *flock.Flock
	pidPath string
}

// NewSenderLock returns the sender lock of the spool at spoolPath. It
// creates nothing until it is taken.
func NewSenderLock(spoolPath string) *SenderLock {
	return &SenderLock{
		lock:    flock.New(spoolPath+senderLockSuffix, flock.SetPermissions(0o600)),
		pidPath: spoolPath + senderPIDSuffix,
	}
}

// TryLock takes the lock if no other process holds it, without waiting.
// It reports whether it did.
func (l *SenderLock) TryLock() (bool, error) {
	ok, err := l.lock.TryLock()
	if err != nil {
		return false, fmt.Errorf("cannot take the telemetry sender's lock: %w", err)
	}
	return ok, nil
}

// LockContext takes the lock, trying every retry until ctx ends. It
// reports whether it did.
func (l *SenderLock) LockContext(ctx context.Context, retry time.Duration) (bool, error) {
	ok, err := l.lock.TryLockContext(ctx, retry)
	if err != nil && ctx.Err() != nil {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot take the telemetry sender's lock: %w", err)
	}
	return ok, nil
}

// Unlock releases the lock.
func (l *SenderLock) Unlock() error {
	return l.lock.Unlock()
}

// SetPID records pid as the sender's process; 0 removes the record.
func (l *SenderLock) SetPID(pid int) error {
	if pid == 0 {
		if err := os.Remove(l.pidPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the telemetry sender's process ID: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(l.pidPath, []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		return fmt.Errorf("cannot record the telemetry sender's process ID: %w", err)
	}
	return nil
}

// PID returns the process ID recorded as the sender's, and whether that
// process is alive. A command lets the lock go a moment before the
// sender it started takes it; in that moment, the recorded process says
// that a sender runs.
func (l *SenderLock) PID() (pid int, alive bool) {
	data, err := os.ReadFile(l.pidPath)
	if err != nil {
		return 0, false
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, processAlive(pid)
}

// SenderRunning reports whether a background sender holds the lock of
// the spool at spoolPath, and its process ID when it recorded one (0
// otherwise). It creates no file where none is.
func SenderRunning(spoolPath string) (pid int, running bool) {
	if _, err := os.Stat(filepath.Dir(spoolPath)); err != nil {
		return 0, false
	}
	l := NewSenderLock(spoolPath)
	ok, err := l.TryLock()
	if err != nil {
		return 0, false
	}
	if ok {
		_ = l.Unlock()
		return 0, false
	}
	data, err := os.ReadFile(l.pidPath)
	if err != nil {
		return 0, true
	}
	pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	return max(pid, 0), true
}
