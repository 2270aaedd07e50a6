//go:build unix

package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// TestStopSignals shows that elmo-web stops cleanly on each signal that
// asks it to: Ctrl-C, SIGTERM, and SIGHUP from a closed terminal.
func TestStopSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			env := webEnv(t, "http://127.0.0.1:1")
			env["DISABLE_TELEMETRY"] = "1"
			p, _ := startWeb(t, env)
			if err := p.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := p.Err(); err != nil {
				t.Errorf("elmo-web exited with %v on %v\n%s", err, sig, p.Output)
			}
			if !strings.Contains(p.Output.String(), "elmo-web stopped") {
				t.Errorf("elmo-web did not report a clean stop on %v\n%s", sig, p.Output)
			}
		})
	}
}

var listeningOn = regexp.MustCompile(`elmo-web listening on (http://\S+)`)

// TestStartedByHandOutlivesItsParent shows that elmo-web started by hand,
// without elmo start's lifeline, keeps running when the shell that
// started it exits, until it is asked to stop.
func TestStartedByHandOutlivesItsParent(t *testing.T) {
	env := webEnv(t, "http://127.0.0.1:1")
	env["DISABLE_TELEMETRY"] = "1"
	log := filepath.Join(t.TempDir(), "elmo-web.log")
	// The shell starts elmo-web in the background, prints its pid and
	// exits, leaving it an orphan.
	sh := exec.Command("sh", "-c", `"$0" >"$1" 2>&1 & echo $!`, binary, log)
	sh.Env = deploytest.Environ(env)
	out, err := sh.Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("the shell printed %q, want a pid", out)
	}
	t.Cleanup(func() {
		if !deploytest.Gone(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	// Its output is a file: nothing to wait on but its content.
	var url string
	deadline := time.Now().Add(time.Minute)
	for url == "" {
		data, _ := os.ReadFile(log)
		if m := listeningOn.FindSubmatch(data); m != nil {
			url = string(m[1])
			break
		}
		if time.Now().After(deadline) || deploytest.Gone(pid) {
			t.Fatalf("elmo-web never said where it listens:\n%s", data)
		}
		time.Sleep(20 * time.Millisecond)
	}
	res, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatalf("elmo-web stopped serving once its parent exited: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %s", res.Status)
	}

	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(time.Minute)
	for !deploytest.Gone(pid) {
		if time.Now().After(deadline) {
			t.Fatal("elmo-web did not stop on SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if data, _ := os.ReadFile(log); !bytes.Contains(data, []byte("elmo-web stopped")) {
		t.Errorf("elmo-web did not report a clean stop:\n%s", data)
	}
}
