package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// BenchmarkExit measures a whole `elmo version` run, from start to exit,
// with telemetry off (the baseline) and with telemetry on and a PostHog
// server that never answers, refuses connections, answers 503 or answers
// 413, with each capture API. The difference is what the exit budget
// costs a user whose network is down: it must stay within 400 ms.
//
//	go test -run '^$' -bench Exit -count 5 ./cmd/elmo
func BenchmarkExit(b *testing.B) {
	type server struct {
		name string
		resp posthogtest.Response
	}
	cases := []struct {
		name    string
		config  string
		capture string
		server  server
	}{
		{"telemetry=off", `{"telemetryDisabled": true}`, "", server{"hangs", posthogtest.Hang()}},
	}
	for _, capture := range []string{"legacy", "v1"} {
		for _, srv := range []server{
			{"hangs", posthogtest.Hang()},
			{"refuses", posthogtest.Response{}},
			{"503", posthogtest.Respond(503)},
			{"413", posthogtest.Respond(413)},
		} {
			name := "telemetry=on,server=" + srv.name
			if capture != "legacy" {
				name += ",capture=" + capture
			}
			cases = append(cases, struct {
				name    string
				config  string
				capture string
				server  server
			}{name, consentGiven, capture, srv})
		}
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.SetDefault(bc.server.resp)
			host := srv.URL
			if bc.server.name == "refuses" {
				host = refusingHost(b)
			}
			root := b.TempDir()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				// A fresh machine each time, so no run replays the spool
				// of the one before.
				home := filepath.Join(root, strconv.Itoa(i))
				xdg := filepath.Join(home, ".config")
				if err := os.MkdirAll(filepath.Join(xdg, "elmo"), 0o700); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(xdg, "elmo", "config.json"), []byte(bc.config), 0o600); err != nil {
					b.Fatal(err)
				}
				cmd := exec.Command(binary, "version")
				cmd.Env = []string{
					"HOME=" + home, "XDG_CONFIG_HOME=" + xdg, "ELMO_DIR=" + filepath.Join(home, ".elmo"),
					"ELMO_POSTHOG_HOST=" + host, "ELMO_POSTHOG_KEY=phc_test",
					"ELMO_POSTHOG_CAPTURE=" + bc.capture,
				}
				b.StartTimer()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("elmo version: %v\n%s", err, out)
				}
			}
			if bc.config == consentGiven && bc.server.name != "refuses" && len(srv.Requests()) == 0 {
				b.Fatal("the server got no request: the benchmark measured nothing")
			}
		})
	}
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
