package launch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// PIDFileName is the name of the pid file in the deployment directory.
const PIDFileName = "elmo.pid"

// LogDirName is the directory, in the deployment directory, that holds
// the logs of background services.
const LogDirName = "logs"

// ErrNotRunning is returned by Stop when no deployment runs.
var ErrNotRunning = errors.New("the deployment is not running")

// Service is a service of a deployment running in the background.
type Service struct {
	// Name is the program's name, such as "elmo-web".
	Name string `json:"name"`
	// PID is its process ID.
	PID int `json:"pid"`
	// Log is the file its output goes to.
	Log string `json:"log"`
}

// StartBackground starts the services detached from the calling process,
// in a session of their own, with their output appended to
// logs/<service>.log and their process IDs in elmo.pid in the deployment
// directory. It returns once they are started; Stop stops them.
//
// Each started process is reaped by a goroutine when it exits, so a
// long-running caller leaves no zombies.
func StartBackground(opts Options) ([]Service, error) {
	env, err := Environment(opts.Dir, os.Environ())
	if err != nil {
		return nil, err
	}
	env = append(env, opts.Env...)
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	paths, err := findBinaries(opts.BinDir)
	if err != nil {
		return nil, err
	}
	// The lock keeps another elmo start out while the services start;
	// from then on, the pid file says that they run.
	lock, err := lockDeployment(dir, env)
	if err != nil {
		return nil, err
	}
	defer func() { _ = lock.release() }()
	logDir := filepath.Join(dir, LogDirName)
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}

	var started []Service
	var procs []*os.Process
	fail := func(err error) ([]Service, error) {
		for _, p := range procs {
			_ = p.Kill()
		}
		return nil, err
	}
	for i, name := range Services {
		logPath := filepath.Join(logDir, name+".log")
		logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fail(fmt.Errorf("opening the log of %s: %w", name, err))
		}
		cmd := exec.Command(paths[i])
		cmd.Env = env
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = logFile, logFile
		cmd.SysProcAttr = backgroundAttr()
		err = cmd.Start()
		_ = logFile.Close() // the child has its own descriptor
		if err != nil {
			return fail(fmt.Errorf("starting %s: %w", name, err))
		}
		procs = append(procs, cmd.Process)
		go func() { _ = cmd.Wait() }()
		started = append(started, Service{Name: name, PID: cmd.Process.Pid, Log: logPath})
	}
	if err := writePIDFile(dir, started); err != nil {
		return fail(err)
	}
	return started, nil
}

func writePIDFile(dir string, services []Service) error {
	data, err := json.MarshalIndent(services, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, PIDFileName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readPIDFile returns the services listed in the pid file of dir.
func readPIDFile(dir string) ([]Service, error) {
	path := filepath.Join(dir, PIDFileName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var services []Service
	if err := json.Unmarshal(data, &services); err != nil {
		return nil, fmt.Errorf("%s is malformed; remove it if no Elmo service runs: %w", path, err)
	}
	return services, nil
}

// Running returns the background services of the deployment in dir that
// are still running.
func Running(dir string) ([]Service, error) {
	services, err := readPIDFile(dir)
	if err != nil {
		return nil, err
	}
	var out []Service
	for _, s := range services {
		if alive(s.PID) {
			out = append(out, s)
		}
	}
	return out, nil
}

// stopPollInterval is how often Stop checks whether the services have
// exited; they are not its children, so it cannot wait for them.
const stopPollInterval = 50 * time.Millisecond

// Stop stops the deployment in dir. For a deployment that elmo start runs
// in the foreground, it sends elmo start SIGTERM, as Ctrl-C would, and
// waits until the deployment's lock is released; for one in the
// background, it sends each service SIGTERM and waits until they have
// exited, then removes the pid file. When ctx ends first, it kills the
// processes still running and returns an error saying so. It returns
// ErrNotRunning when no deployment runs in dir.
func Stop(ctx context.Context, dir string) error {
	held, err := lockHeld(dir)
	if err != nil {
		return err
	}
	if held {
		return stopForeground(ctx, dir)
	}
	services, err := readPIDFile(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotRunning
	}
	if err != nil {
		return err
	}
	for _, s := range services {
		if alive(s.PID) {
			if p, err := os.FindProcess(s.PID); err == nil {
				_ = terminate(p)
			}
		}
	}
	stopErr := waitUntil(ctx, func() bool {
		for _, s := range services {
			if alive(s.PID) {
				return false
			}
		}
		return true
	}, func() error { return killAll(ctx, services) })
	if err := os.Remove(filepath.Join(dir, PIDFileName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errors.Join(stopErr, fmt.Errorf("removing the pid file: %w", err))
	}
	return stopErr
}

// stopForeground stops the deployment whose elmo start holds the lock of
// dir.
func stopForeground(ctx context.Context, dir string) error {
	st, err := ReadState(dir)
	if err != nil {
		return err
	}
	if st.PID > 0 && alive(st.PID) {
		// elmo start stops its services in order, as on Ctrl-C.
		if p, err := os.FindProcess(st.PID); err == nil {
			_ = terminate(p)
		}
	} else {
		// elmo start is gone but a service still holds on: stop it.
		for _, s := range st.Services {
			if p, err := os.FindProcess(s.PID); err == nil && alive(s.PID) {
				_ = terminate(p)
			}
		}
	}
	return waitUntil(ctx, func() bool {
		held, err := lockHeld(dir)
		return err == nil && !held
	}, func() error {
		procs := append([]Service{{Name: "elmo start", PID: st.PID}}, st.Services...)
		return killAll(ctx, procs)
	})
}

// waitUntil polls done until it returns true, or until ctx ends; then it
// calls giveUp and returns its error. The processes it waits for are not
// the caller's children, so there is nothing to wait on.
func waitUntil(ctx context.Context, done func() bool, giveUp func() error) error {
	t := time.NewTicker(stopPollInterval)
	defer t.Stop()
	for !done() {
		select {
		case <-t.C:
		case <-ctx.Done():
			return giveUp()
		}
	}
	return nil
}

// killAll kills the processes still running and returns an error naming
// each one.
func killAll(ctx context.Context, procs []Service) error {
	var errs []error
	for _, s := range procs {
		if s.PID <= 0 || !alive(s.PID) {
			continue
		}
		if p, err := os.FindProcess(s.PID); err == nil {
			_ = p.Kill()
		}
		errs = append(errs, &ExitError{Service: s.Name, Err: fmt.Errorf("killed after it did not stop in time: %w", ctx.Err())})
	}
	return errors.Join(errs...)
}
