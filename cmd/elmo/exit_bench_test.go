package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// BenchmarkExit measures a whole `elmo version` run, from start to exit,
// with telemetry on and a PostHog server that answers, never answers,
// refuses connections, answers 503 or answers 413, with each capture API,
// against the same run with telemetry off. The two runs take turns in
// every iteration, so that both see the same machine; each reports the
// median of its runs, on-ms and off-ms, and extra-ms is their difference:
// what telemetry costs the user at exit. A command never waits on the
// server, so the server's answer should not show in extra-ms: what a run
// pays is writing the spool and starting the background sender (see
// BenchmarkExitLatency for what the network costs). Both run as an install that has
// run before (it has its install ID), on a fresh home each time so that
// no run replays the spool of the one before.
//
//	go test -run '^$' -bench Exit -benchtime 20x -count 5 ./cmd/elmo
func BenchmarkExit(b *testing.B) {
	type server struct {
		name string
		resp posthogtest.Response
	}
	type benchCase struct {
		name    string
		capture string
		server  server
	}
	// The cases with a tight budget run first, each with both capture
	// APIs in a row, so that the files the slow cases leave to the disk
	// (a spool per run) do not weigh on them; and before each case the
	// disk is synced, so that no case pays for the writes of the one
	// before.
	var cases []benchCase
	for _, srv := range []server{
		{"answers", posthogtest.Accept()},
		{"refuses", posthogtest.Response{}},
		{"413", posthogtest.Respond(413)},
		{"hangs", posthogtest.Hang()},
		{"503", posthogtest.Respond(503)},
	} {
		for _, capture := range []string{"legacy", "v1"} {
			name := "server=" + srv.name
			if capture != "legacy" {
				name += ",capture=" + capture
			}
			cases = append(cases, benchCase{name, capture, srv})
		}
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			syncDisk()
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.SetDefault(bc.server.resp)
			host := srv.URL
			if bc.server.name == "refuses" {
				host = refusingHost(b)
			}
			root := b.TempDir()
			// Each run with telemetry on starts a sender of its own,
			// which may still wait on the server.
			defer clitest.KillSendersUnder(root)
			// runElmo runs `elmo version` on a fresh machine, so that no
			// run replays the spool of the one before, and returns how
			// long it took.
			n := 0
			runElmo := func(config string) time.Duration {
				b.Helper()
				n++
				home := filepath.Join(root, strconv.Itoa(n))
				xdg := filepath.Join(home, ".config")
				if err := os.MkdirAll(filepath.Join(xdg, "elmo"), 0o700); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(xdg, "elmo", "config.json"), []byte(config), 0o600); err != nil {
					b.Fatal(err)
				}
				return timeVersion(b, []string{
					"HOME=" + home, "XDG_CONFIG_HOME=" + xdg, "ELMO_DIR=" + filepath.Join(home, ".elmo"),
					"ELMO_POSTHOG_HOST=" + host, "ELMO_POSTHOG_KEY=phc_test",
					"ELMO_POSTHOG_CAPTURE=" + bc.capture,
				})
			}
			var on, off []time.Duration
			for b.Loop() {
				off = append(off, runElmo(`{"telemetryDisabled": true}`))
				on = append(on, runElmo(`{"telemetryDisabled": false, "telemetryId": "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10"}`))
			}
			if bc.server.name != "refuses" {
				// The senders deliver after the commands have exited.
				ctx, cancel := context.WithTimeout(context.Background(), clitest.WaitTimeout)
				defer cancel()
				if _, err := srv.WaitForRequests(ctx, 1); err != nil {
					b.Fatalf("the server got no request: the benchmark measured nothing (%v)", err)
				}
			}
			onMS, offMS := medianMS(on), medianMS(off)
			b.ReportMetric(onMS, "on-ms")
			b.ReportMetric(offMS, "off-ms")
			b.ReportMetric(onMS-offMS, "extra-ms")
		})
	}
}

// timeVersion runs `elmo version` with the environment env and returns
// how long it took, from start to exit.
func timeVersion(b *testing.B, env []string) time.Duration {
	b.Helper()
	cmd := exec.Command(clitest.Elmo(), "version")
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("elmo version: %v\n%s", err, out)
	}
	return d
}

// medianMS returns the median of ds in milliseconds.
func medianMS(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	return float64(m) / float64(time.Millisecond)
}

// refusingHost returns the URL of a loopback port where nothing listens.
func refusingHost(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
