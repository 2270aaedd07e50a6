//go:build unix

package lifeline_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/internal/app/lifeline"
)

// helperEnv makes the test binary act as a service: see TestMain.
const helperEnv = "LIFELINE_TEST_SERVICE"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		service()
		return
	}
	goleak.VerifyTestMain(m)
}

// service watches its lifeline as a deployment service does, says that it
// is ready, and reports why it stopped.
func service() {
	ctx, release, err := lifeline.Watch(context.Background(), os.Getenv)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	defer release()
	fmt.Println("ready")
	<-ctx.Done()
	fmt.Println("stopped:", context.Cause(ctx))
}

// dupFD returns a descriptor of its own for f's file, named as a service
// would find it in its environment.
func dupFD(t *testing.T, f *os.File) string {
	t.Helper()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(fd)
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestWatchWithoutLifelineLeavesTheServiceAlone(t *testing.T) {
	ctx := context.Background()
	got, release, err := lifeline.Watch(ctx, env())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if got != ctx {
		t.Error("a service started by hand got a context of its own")
	}
}

func TestWatchEndsWhenTheParentEnds(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, release, err := lifeline.Watch(context.Background(), env(lifeline.EnvVar, dupFD(t, r)))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if ctx.Err() != nil {
		t.Fatal("the context ended before the parent did")
	}
	r.Close() // only the watcher's descriptor is left
	w.Close()
	<-ctx.Done()
	if cause := context.Cause(ctx); !errors.Is(cause, lifeline.ErrParentGone) {
		t.Errorf("cause = %v, want ErrParentGone", cause)
	}
}

func TestReleaseStopsWatching(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, release, err := lifeline.Watch(context.Background(), env(lifeline.EnvVar, dupFD(t, r)))
	if err != nil {
		t.Fatal(err)
	}
	release()
	release()
	if cause := context.Cause(ctx); errors.Is(cause, lifeline.ErrParentGone) {
		t.Errorf("release reported the parent gone")
	}
}

func TestWatchRejectsWhatIsNotAPipe(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct{ name, value string }{
		{"not a number", "three"},
		{"a standard stream", "1"},
		{"not open", "987654"},
		{"a regular file", strconv.Itoa(int(f.Fd()))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			got, release, err := lifeline.Watch(ctx, env(lifeline.EnvVar, tt.value))
			defer release()
			if err == nil || got != ctx {
				t.Errorf("Watch(%s=%s) = %v, want an error and the context unchanged", lifeline.EnvVar, tt.value, err)
			}
		})
	}
}

func TestAttachNeedsAnEnvironment(t *testing.T) {
	if _, err := lifeline.Attach(exec.Command("true")); err == nil {
		t.Error("Attach accepted a command that inherits the whole environment")
	}
}

// TestServiceStopsWhenLineCloses runs a service process: it keeps running
// while the line is open, and stops, seeing its parent gone, when it
// closes, as it does when the parent dies.
func TestServiceStopsWhenLineCloses(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	line, err := lifeline.Attach(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer line.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	err = cmd.Start()
	line.Started()
	if err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("the service said %q, want ready", lines.Text())
	}
	if err := line.Close(); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() || lines.Text() != "stopped: "+lifeline.ErrParentGone.Error() {
		t.Errorf("the service said %q, want that it stopped because its parent is gone", lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the service exited with %v", err)
	}
}
