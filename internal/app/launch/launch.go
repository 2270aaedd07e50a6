package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/elmohq/telemetry/internal/app/dotenv"
	"github.com/elmohq/telemetry/internal/app/lifeline"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
)

// Services are the programs of the local deployment, in start order.
var Services = []string{"elmo-web", "elmo-worker"}

// DefaultGracePeriod is how long services are given to stop after SIGTERM
// before they are killed.
const DefaultGracePeriod = 20 * time.Second

// ErrNotInitialized is wrapped by the error for a deployment directory
// without a .env file.
var ErrNotInitialized = errors.New("the deployment is not set up")

// ErrBinaryNotFound is wrapped by the error for a service program that is
// neither in Options.BinDir nor on PATH.
var ErrBinaryNotFound = errors.New("service program not found")

// optOutVars are the variables that turn telemetry off.
var optOutVars = consent.OptOutVars()

// Options says what to run and where its output goes.
type Options struct {
	// Dir is the deployment directory (ELMO_DIR), which holds .env.
	Dir string
	// BinDir is where elmo-web and elmo-worker are looked for first,
	// normally the directory of the running elmo program. When they are
	// not there, they are looked for on PATH.
	BinDir string
	// Stdout and Stderr receive the services' output, each line prefixed
	// with the service's name. Nil discards it.
	Stdout, Stderr io.Writer
	// GracePeriod is how long a service is given to stop after SIGTERM
	// before it is killed. Zero means DefaultGracePeriod.
	GracePeriod time.Duration
	// Env holds KEY=value assignments the services get over both the
	// parent environment and the .env, such as DISABLE_TELEMETRY=1 when
	// the person turned telemetry off for every program.
	Env []string
	// HumanLogs rewrites the services' structured log lines (slog's
	// key=value text, as a log collector reads it) in the form elmo prints
	// its own lines: "warning: message (key=value ...)", for a person at a
	// terminal. Other lines pass as they are.
	HumanLogs bool
	// Ready, when set, is called once by Run after its checks passed (the
	// .env is read, the programs are found, the directory's lock is held)
	// and before the services start, so that a caller announces a
	// deployment only when it is about to run.
	Ready func()
}

// ExitError reports a service that exited while the deployment ran, or
// that did not stop cleanly.
type ExitError struct {
	// Service is the program's name, such as "elmo-worker".
	Service string
	// Err is the exit status (an *exec.ExitError) or the error that
	// ended it; nil when it exited with status 0 on its own.
	Err error
	// Unexpected is true when the service exited without being asked to.
	Unexpected bool
}

// Error names the service and how it ended.
func (e *ExitError) Error() string {
	switch {
	case e.Unexpected && e.Err == nil:
		return e.Service + " exited unexpectedly with status 0"
	case e.Unexpected:
		return fmt.Sprintf("%s exited unexpectedly: %v", e.Service, e.Err)
	default:
		return fmt.Sprintf("%s did not stop cleanly: %v", e.Service, e.Err)
	}
}

// Unwrap returns the exit status.
func (e *ExitError) Unwrap() error { return e.Err }

// Environment returns the environment the services get: base (normally
// os.Environ()) overlaid with the deployment's .env and ELMO_DIR, with
// base's telemetry opt-outs kept over the file's values.
func Environment(dir string, base []string) ([]string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving the deployment directory %s: %w", dir, err)
	}
	path := filepath.Join(abs, ".env")
	f, err := dotenv.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no .env file; run elmo init to create it", ErrNotInitialized, abs)
	}
	if err != nil {
		return nil, err
	}
	env := make([]string, 0, len(base)+len(f.Keys())+3)
	for _, kv := range base {
		// A lifeline is given to each service by the process that
		// starts it, never inherited.
		if !strings.HasPrefix(kv, lifeline.EnvVar+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, f.Environ()...)
	// exec uses the last value of a duplicated key.
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		for _, o := range optOutVars {
			if k == o && consent.OptOut(v) {
				env = append(env, kv)
			}
		}
	}
	env = append(env, "ELMO_DIR="+abs)
	return env, nil
}

// findBinary returns the path of the service program name.
func findBinary(binDir, name string) (string, error) {
	if binDir != "" {
		p := filepath.Join(binDir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		where := "on PATH"
		if binDir != "" {
			where = "in " + binDir + " or on PATH"
		}
		return "", fmt.Errorf("%w: cannot find %s %s; install it next to elmo", ErrBinaryNotFound, name, where)
	}
	return p, nil
}

// findBinaries returns the paths of every service program.
func findBinaries(binDir string) ([]string, error) {
	paths := make([]string, len(Services))
	for i, name := range Services {
		p, err := findBinary(binDir, name)
		if err != nil {
			return nil, err
		}
		paths[i] = p
	}
	return paths, nil
}

// Run runs the services until ctx ends or one of them exits. When ctx
// ends, it sends each service SIGTERM, waits for them to stop (killing
// those still running after the grace period) and returns nil if both
// stopped cleanly. When a service exits on its own, it stops the other
// and returns an *ExitError naming the one that exited.
//
// While it runs, Run holds the lock of the deployment directory (see
// LockFileName); when another deployment runs there, it returns an
// *AlreadyRunningError. Each service gets a lifeline to the calling
// process (see package lifeline): if the caller dies without stopping
// them, a crash or SIGKILL included, the services stop on their own.
func Run(ctx context.Context, opts Options) error {
	env, err := Environment(opts.Dir, os.Environ())
	if err != nil {
		return err
	}
	env = append(env, opts.Env...)
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return err
	}
	paths, err := findBinaries(opts.BinDir)
	if err != nil {
		return err
	}
	lock, err := lockDeployment(dir, env)
	if err != nil {
		return err
	}
	lock.update(func(st *State) { st.PID = os.Getpid() })
	if opts.Ready != nil {
		opts.Ready()
	}
	grace := opts.GracePeriod
	if grace <= 0 {
		grace = DefaultGracePeriod
	}

	runCtx, stopAll := context.WithCancel(ctx)
	defer stopAll()

	var outMu sync.Mutex
	exits := make(chan exit, len(Services))
	var writers []*prefixWriter
	var lines []*lifeline.Line
	started := 0
	var startErr error
	for i, name := range Services {
		cmd := exec.CommandContext(runCtx, paths[i])
		cmd.Env = env
		cmd.Dir = dir
		cmd.SysProcAttr = foregroundAttr()
		stdout := newPrefixWriter(&outMu, opts.Stdout, name)
		stderr := newPrefixWriter(&outMu, opts.Stderr, name)
		stdout.human, stderr.human = opts.HumanLogs, opts.HumanLogs
		if name == "elmo-web" {
			stdout.onLine = func(line []byte) {
				if m := listeningLine.FindSubmatch(line); m != nil {
					lock.update(func(st *State) { st.URL = string(m[1]) })
				}
			}
		}
		writers = append(writers, stdout, stderr)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		cmd.Cancel = func() error { return terminate(cmd.Process) }
		cmd.WaitDelay = grace
		line, err := lifeline.Attach(cmd)
		if err != nil {
			startErr = fmt.Errorf("starting %s: %w", name, err)
			break
		}
		lines = append(lines, line)
		if err := startLocked(cmd, name, exits); err != nil {
			line.Started()
			startErr = fmt.Errorf("starting %s: %w", name, err)
			break
		}
		line.Started()
		started++
		lock.update(func(st *State) { st.Services = append(st.Services, Service{Name: name, PID: cmd.Process.Pid}) })
	}
	defer func() {
		for _, w := range writers {
			w.flush()
		}
		for _, l := range lines {
			_ = l.Close()
		}
		_ = lock.release()
	}()
	if startErr != nil {
		stopAll()
		for range started {
			<-exits
		}
		return startErr
	}

	var errs []error
	first := <-exits
	if ctx.Err() == nil {
		// The service exited on its own: stop the other.
		errs = append(errs, &ExitError{Service: first.service, Err: first.err, Unexpected: true})
	} else if err := stopError(first); err != nil {
		errs = append(errs, err)
	}
	stopAll()
	for range started - 1 {
		if err := stopError(<-exits); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// listeningLine is what elmo-web prints once it accepts connections.
var listeningLine = regexp.MustCompile(`elmo-web listening on (http://\S+)`)

// startLocked starts cmd and sends how it ended to exits. Linux sends a
// service its parent-death signal when the thread that started it ends,
// not the process: the goroutine that starts the service keeps its thread
// to itself until the service has exited, so that no other goroutine can
// end that thread.
func startLocked(cmd *exec.Cmd, name string, exits chan<- exit) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			exits <- exit{name, cmd.Wait()}
		}
	}()
	return <-started
}

// exit is how a service ended.
type exit struct {
	service string
	err     error
}

// stopError returns the error of a service that was asked to stop: nil
// when it stopped with status 0, or was ended by the stop signal itself,
// which happens when the signal comes before the service, still starting,
// has set up its handler: it had not begun any work.
func stopError(e exit) error {
	if e.err == nil || errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded) || endedByStopSignal(e.err) {
		return nil
	}
	return &ExitError{Service: e.service, Err: e.err}
}
