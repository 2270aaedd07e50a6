package launch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/pipeline/atomicfile"
)

// LockFileName is the name of the lock file in the deployment directory.
// elmo start holds a lock on it while it runs the deployment in the
// foreground. The kernel releases the lock when elmo start ends in any
// way, so a lock left by a crash is stale and the next elmo start takes it
// over. The file is never removed: removing a lock file lets two
// processes lock two files of the same name.
const LockFileName = "elmo.lock"

// StateFileName is the name of the file, in the deployment directory,
// where the holder of the lock records who it is (see State). It is
// replaced whole on each change, so a reader never sees half of it, and
// removed when the deployment stops; after a crash it stays, and means
// nothing unless the lock is held.
const StateFileName = "elmo.state"

// State is what the holder of the lock records about its deployment.
type State struct {
	// PID is the process ID of the elmo start that runs the deployment.
	PID int `json:"pid"`
	// URL is where the web app listens, once it has said so.
	URL string `json:"url,omitempty"`
	// Services are the services elmo start runs.
	Services []Service `json:"services,omitempty"`
}

// AlreadyRunningError is returned by Run and StartBackground when the
// deployment directory already has a running deployment.
type AlreadyRunningError struct {
	// Dir is the deployment directory.
	Dir string
	// PID is the process ID of the elmo start running the deployment in
	// the foreground, or of the first service running in the background;
	// 0 when it has not been recorded yet.
	PID int
	// URL is where its web app listens; empty when not known.
	URL string
	// Background is true for a deployment started with elmo start --detach.
	Background bool
}

// Error says which deployment runs, where, and how to stop it.
func (e *AlreadyRunningError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the deployment in %s is already running", e.Dir)
	if e.Background {
		b.WriteString(" in the background")
	}
	var about []string
	if e.PID > 0 {
		about = append(about, fmt.Sprintf("pid %d", e.PID))
	}
	if e.URL != "" {
		about = append(about, e.URL)
	}
	if len(about) > 0 {
		b.WriteString(" (" + strings.Join(about, ", ") + ")")
	}
	b.WriteString("; stop it with 'elmo stop'")
	return b.String()
}

// ReadState returns the state recorded in the deployment directory dir,
// whether or not a process still holds the lock.
func ReadState(dir string) (State, error) {
	var st State
	path := filepath.Join(dir, StateFileName)
	data, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("reading %s: %w", path, err)
	}
	return st, nil
}

// deploymentLock is the lock of a deployment directory, held while its
// deployment runs in the foreground.
type deploymentLock struct {
	dir  string
	lock *flock.Flock

	mu    sync.Mutex
	state State
}

// lockDeployment takes the lock of the deployment in dir. When a
// deployment already runs there, in the foreground or in the background,
// it returns an *AlreadyRunningError; env is the services' environment,
// which says where a background web app listens.
func lockDeployment(dir string, env []string) (*deploymentLock, error) {
	path := filepath.Join(dir, LockFileName)
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("taking the deployment lock %s: %w", path, err)
	}
	if !ok {
		// The holder records its state just after it locks: what it has
		// not recorded yet is simply not said.
		st, _ := ReadState(dir)
		return nil, &AlreadyRunningError{Dir: dir, PID: st.PID, URL: st.URL}
	}
	if running, err := Running(dir); err == nil && len(running) > 0 {
		_ = l.Unlock()
		return nil, &AlreadyRunningError{Dir: dir, PID: running[0].PID, URL: configuredURL(env), Background: true}
	}
	// An elmo start that was killed leaves its services stopping on their
	// own for a moment: let them go before starting new ones on the same
	// port.
	if prev, err := ReadState(dir); err == nil {
		waitForExit(prev.Services, staleServiceWait)
	}
	return &deploymentLock{dir: dir, lock: l}, nil
}

// staleServiceWait bounds the wait for the services of a deployment whose
// elmo start ended without stopping them; they stop within a second.
const staleServiceWait = 2 * time.Second

// waitForExit waits until none of services runs, or for at most d.
func waitForExit(services []Service, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_ = waitUntil(ctx, func() bool {
		for _, s := range services {
			if alive(s.PID) {
				return false
			}
		}
		return true
	}, func() error { return nil })
}

// update changes the recorded state with f and writes it to the state
// file. Writing is best effort: the state only informs other elmo
// commands; the lock itself is what counts.
func (d *deploymentLock) update(f func(*State)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(&d.state)
	data, err := json.Marshal(d.state)
	if err != nil {
		return
	}
	_ = atomicfile.WriteFile(filepath.Join(d.dir, StateFileName), append(data, '\n'), 0o600)
}

// release removes the state file and releases the lock.
func (d *deploymentLock) release() error {
	d.mu.Lock()
	err := os.Remove(filepath.Join(d.dir, StateFileName))
	d.mu.Unlock()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("removing the deployment state: %w", err)
	} else {
		err = nil
	}
	if uerr := d.lock.Unlock(); uerr != nil {
		err = errors.Join(err, fmt.Errorf("releasing the deployment lock: %w", uerr))
	}
	return err
}

// lockHeld reports whether a process holds the lock of the deployment in
// dir. It takes the lock for a moment to find out, so it creates no lock
// file where there is none.
func lockHeld(dir string) (bool, error) {
	path := filepath.Join(dir, LockFileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	l := flock.New(path)
	ok, err := l.TryLock()
	if err != nil {
		return false, fmt.Errorf("checking the deployment lock %s: %w", path, err)
	}
	if ok {
		_ = l.Unlock()
	}
	return !ok, nil
}

// configuredURL returns where the web app listens according to env, or ""
// when the port is chosen when it starts.
func configuredURL(env []string) string {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	s, err := deployment.Load(func(k string) string { return vars[k] })
	if err != nil {
		return ""
	}
	if _, port, err := net.SplitHostPort(s.WebAddr); err != nil || port == "0" {
		return ""
	}
	return "http://" + s.WebAddr
}
