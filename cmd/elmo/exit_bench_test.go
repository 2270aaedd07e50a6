package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// BenchmarkExit measures a whole `elmo version` run, from start to exit,
// with telemetry off (the baseline) and with telemetry on and a PostHog
// server that never answers. The difference is what the exit budget
// costs a user whose network is down: it must stay within 400 ms.
//
//	go test -run '^$' -bench Exit -count 5 ./cmd/elmo
func BenchmarkExit(b *testing.B) {
	for _, bc := range []struct {
		name   string
		config string
	}{
		{"telemetry=off", `{"telemetryDisabled": true}`},
		{"telemetry=on,server=hangs", consentGiven},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.SetDefault(posthogtest.Hang())
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
					"ELMO_POSTHOG_HOST=" + srv.URL, "ELMO_POSTHOG_KEY=phc_test",
				}
				b.StartTimer()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("elmo version: %v\n%s", err, out)
				}
			}
			if bc.config == consentGiven && len(srv.Requests()) == 0 {
				b.Fatal("the hanging server got no request: the benchmark measured nothing")
			}
		})
	}
}
