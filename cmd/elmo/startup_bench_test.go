package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// BenchmarkStartup measures what telemetry costs a command run with it
// off, on the two programs of internal/testkit/startupprobe: `elmo version` with
// no telemetry linked (bare) and the same with the pipeline started and
// shut down as the CLI does (off). The two run in turns; telemetry=off
// reports the median run of each (base-ms for bare, on-ms for off) and
// their difference, extra-ms; size reports the binary sizes in MB and
// their difference, extra-MB. size-floor reports the same for floor, bare
// with an HTTPS client posting JSON and nothing else, against bare: the
// least an in-process sender adds; size-over-floor reports off against
// floor: what the pipeline adds beyond that.
//
//	go test -run '^$' -bench Startup -benchtime 50x -count 5 ./cmd/elmo
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	const probe = "github.com/elmohq/telemetry/internal/testkit/startupprobe/"
	bins, err := deploytest.Build(dir, nil, probe+"bare", probe+"off", probe+"floor")
	if err != nil {
		b.Fatal(err)
	}
	bare, off, floor := bins["bare"], bins["off"], bins["floor"]
	home := filepath.Join(dir, "home")
	xdg := filepath.Join(home, ".config")
	if err := os.MkdirAll(filepath.Join(xdg, "elmo"), 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(xdg, "elmo", "config.json"), []byte(`{"telemetryDisabled": true}`), 0o600); err != nil {
		b.Fatal(err)
	}
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + xdg}

	b.Run("telemetry=off", func(b *testing.B) {
		run := func(bin string) time.Duration {
			cmd := exec.Command(bin, "version")
			cmd.Env = env
			start := time.Now()
			out, err := cmd.CombinedOutput()
			d := time.Since(start)
			if err != nil {
				b.Fatalf("%s version: %v\n%s", bin, err, out)
			}
			return d
		}
		var base, ours []time.Duration
		for b.Loop() {
			base = append(base, run(bare))
			ours = append(ours, run(off))
		}
		baseMS, oursMS := medianMS(base), medianMS(ours)
		b.ReportMetric(baseMS, "base-ms")
		b.ReportMetric(oursMS, "on-ms")
		b.ReportMetric(oursMS-baseMS, "extra-ms")
	})
	for _, c := range []struct{ name, base, ours string }{
		{"size", bare, off},
		{"size-floor", bare, floor},
		{"size-over-floor", floor, off},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
			}
			base, ours := binaryMB(b, c.base), binaryMB(b, c.ours)
			b.ReportMetric(base, "base-MB")
			b.ReportMetric(ours, "on-MB")
			b.ReportMetric(ours-base, "extra-MB")
		})
	}
}

// binaryMB returns the size of the file bin in MB.
func binaryMB(b *testing.B, bin string) float64 {
	b.Helper()
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	return float64(fi.Size()) / 1e6
}
