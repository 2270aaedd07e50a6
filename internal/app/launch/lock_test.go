package launch_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/app/launch"
	"github.com/elmohq/telemetry/internal/app/lifeline"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// startRun runs the deployment in dir with launch.Run until the returned
// function is called, which stops it and returns Run's error. It returns
// once the web app listens, with its URL.
func startRun(t *testing.T, dir string) (url string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := deploytest.NewLines()
	done := make(chan error, 1)
	wait, waitDone := deploytest.Context()
	defer waitDone()
	go func() {
		err := launch.Run(ctx, launch.Options{Dir: dir, BinDir: binDir, Stdout: out, Stderr: out})
		done <- err
		waitDone()
	}()
	stop = func() error {
		cancel()
		return <-done
	}
	line, err := out.WaitFor(wait, "web    | elmo-web listening on http://")
	if err != nil {
		_ = stop()
		t.Fatalf("%v\noutput:\n%s", err, out)
	}
	return strings.TrimSpace(line[strings.Index(line, "http://"):]), stop
}

// quietEnv writes a .env that starts the services quickly and sends
// nothing.
func quietEnv(t *testing.T, dir string) {
	t.Helper()
	env := deploymentEnv("http://127.0.0.1:1", "http://127.0.0.1:1/v1")
	env["DISABLE_TELEMETRY"] = "1"
	if err := deploytest.WriteEnvFile(filepath.Join(dir, ".env"), env); err != nil {
		t.Fatal(err)
	}
}

// TestOneDeploymentPerDirectory shows that while Run runs a deployment,
// another Run or StartBackground for the same directory is refused with
// the PID and address of the one that runs, and that the directory is
// free again once it has stopped.
func TestOneDeploymentPerDirectory(t *testing.T) {
	dir := isolate(t)
	quietEnv(t, dir)
	url, stop := startRun(t, dir)

	// The web app may say where it listens before the worker is
	// recorded; a file offers nothing to wait on, so this polls.
	ctx, cancel := deploytest.Context()
	defer cancel()
	for {
		st, err := launch.ReadState(dir)
		if err == nil && st.PID == os.Getpid() && st.URL == url && len(st.Services) == 2 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("ReadState = %+v, %v; want pid %d, %s and two services", st, err, os.Getpid(), url)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for name, second := range map[string]func() error{
		"Run": func() error { return launch.Run(context.Background(), launch.Options{Dir: dir, BinDir: binDir}) },
		"StartBackground": func() error {
			_, err := launch.StartBackground(launch.Options{Dir: dir, BinDir: binDir})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := second()
			var running *launch.AlreadyRunningError
			if !errors.As(err, &running) || running.PID != os.Getpid() || running.URL != url || running.Background {
				t.Fatalf("%s = %v, want an AlreadyRunningError for pid %d at %s", name, err, os.Getpid(), url)
			}
			for _, want := range []string{"already running", dir, url, "elmo stop"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not say %q", err, want)
				}
			}
		})
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, launch.StateFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the state file is still there after the stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, launch.LockFileName)); err != nil {
		t.Errorf("the lock file was removed: %v", err)
	}
	_, stop = startRun(t, dir)
	if err := stop(); err != nil {
		t.Errorf("a second Run after the first stopped: %v", err)
	}
}

// TestStaleLockIsTakenOver shows that the lock and state files of a
// deployment whose elmo start ended without cleaning up, as on a crash,
// do not stop the next one.
func TestStaleLockIsTakenOver(t *testing.T) {
	dir := isolate(t)
	quietEnv(t, dir)
	stale := `{"pid":2147483000,"url":"http://127.0.0.1:1","services":[{"name":"elmo-web","pid":2147483001,"log":""}]}`
	if err := os.WriteFile(filepath.Join(dir, launch.StateFileName), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, launch.LockFileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := launch.Stop(context.Background(), dir); !errors.Is(err, launch.ErrNotRunning) {
		t.Errorf("Stop with a stale lock = %v, want ErrNotRunning", err)
	}
	_, stop := startRun(t, dir)
	st, err := launch.ReadState(dir)
	if err != nil || st.PID != os.Getpid() {
		t.Errorf("ReadState = %+v, %v; want the state of this run", st, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestServiceStopsWhenItsLifelineCloses runs elmo-web with a lifeline but
// no parent-death signal, the way it runs where Linux's signal does not
// exist: when the line closes, as it does when elmo start dies, the web
// app stops cleanly on its own.
func TestServiceStopsWhenItsLifelineCloses(t *testing.T) {
	dir := isolate(t)
	quietEnv(t, dir)
	env, err := launch.Environment(dir, os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "elmo-web"))
	cmd.Env = env
	out := deploytest.NewLines()
	cmd.Stdout, cmd.Stderr = out, out
	line, err := lifeline.Attach(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer line.Close()
	cmd.SysProcAttr = nil // no parent-death signal: the pipe alone
	err = cmd.Start()
	line.Started()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := deploytest.Context()
	defer cancel()
	if _, err := out.WaitFor(ctx, "elmo-web listening on"); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("%v\n%s", err, out)
	}
	if err := line.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("elmo-web exited with %v after its lifeline closed\n%s", err, out)
	}
	for _, want := range []string{"elmo-web stopped", "elmo-web: stopped because " + lifeline.ErrParentGone.Error()} {
		if _, err := out.WaitFor(ctx, want); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
	}
}

// TestLifelineIsNotInherited shows that a lifeline variable in elmo's own
// environment never reaches a service: each gets its own from Attach.
func TestLifelineIsNotInherited(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("WEB_PORT=4000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := launch.Environment(dir, []string{"PATH=/bin", lifeline.EnvVar + "=3"})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := lookup(env)[lifeline.EnvVar]; ok {
		t.Errorf("%s=%s was passed on", lifeline.EnvVar, v)
	}
}
