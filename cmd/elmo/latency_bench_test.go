package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
	"github.com/elmohq/telemetry/internal/testkit/latencyproxy"
)

// BenchmarkExitLatency runs `elmo version` as a user far from the capture
// host would: against a TLS capture server behind a loopback proxy that
// emulates a network round trip (the TCP handshake included), at round
// trips of 0, 50, 100, 200 and 400 ms, with telemetry on and, in turns,
// off. It reports, for each round trip:
//
//   - on-ms, off-ms and extra-ms: the median time of a command from start
//     to exit, on, off, and their difference, what telemetry costs the
//     user (the command never waits on the network);
//   - deliver-ms: from the exit of the last command until PostHog has
//     acknowledged every event of every command, and bound-ms, the bound
//     it must stay within: 2 s and 10 round trips;
//   - dup-events: events PostHog received more than once (every
//     acknowledgement arrives, so none may be);
//   - spool-events: what the spool holds once the senders have ended;
//   - sender-s: how long the last sender outlived the last command; none
//     may outlive it by 30 s.
//
// Each round trip uses one home, as a person's machine does, so that the
// commands share a spool and a sender; the runs with telemetry off have a
// home of their own.
//
//	go test -run '^$' -bench ExitLatency -benchtime 8x ./cmd/elmo
func BenchmarkExitLatency(b *testing.B) {
	for _, rtt := range []time.Duration{0, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		b.Run(fmt.Sprintf("rtt=%dms", rtt.Milliseconds()), func(b *testing.B) {
			syncDisk()
			srv := posthogtest.NewServer(posthogtest.WithTLS())
			defer srv.Close()
			root := b.TempDir()
			cert := filepath.Join(root, "capture.pem")
			if err := srv.WriteCertificate(cert); err != nil {
				b.Fatal(err)
			}
			u, err := url.Parse(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			proxy, err := latencyproxy.New(u.Host, rtt)
			if err != nil {
				b.Fatal(err)
			}
			defer proxy.Close()
			defer clitest.KillSendersUnder(root)

			home := func(name, config string) []string {
				h := filepath.Join(root, name)
				xdg := filepath.Join(h, ".config")
				if err := os.MkdirAll(filepath.Join(xdg, "elmo"), 0o700); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(xdg, "elmo", "config.json"), []byte(config), 0o600); err != nil {
					b.Fatal(err)
				}
				return []string{
					"HOME=" + h, "XDG_CONFIG_HOME=" + xdg, "XDG_STATE_HOME=" + filepath.Join(h, ".local", "state"),
					"ELMO_DIR=" + filepath.Join(h, ".elmo"),
					"ELMO_POSTHOG_HOST=https://" + proxy.Addr(), "ELMO_POSTHOG_KEY=phc_test",
					"SSL_CERT_FILE=" + cert,
				}
			}
			onEnv := home("on", `{"telemetryDisabled": false, "telemetryId": "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10"}`)
			offEnv := home("off", `{"telemetryDisabled": true}`)
			var on, off []time.Duration
			commands := 0
			for b.Loop() {
				off = append(off, timeVersion(b, offEnv))
				on = append(on, timeVersion(b, onEnv))
				commands++
			}
			lastExit := time.Now()

			// Every command's one event, acknowledged.
			bound := 2*time.Second + 10*rtt
			ctx, cancel := context.WithTimeout(context.Background(), bound+clitest.WaitTimeout)
			defer cancel()
			_, err = srv.WaitForEvents(ctx, commands)
			deliver := time.Since(lastExit)
			if err != nil {
				b.Fatalf("not every event arrived: %v", err)
			}
			if deliver > bound {
				b.Errorf("the events of %d commands were acknowledged %v after the last one exited, over the bound of %v", commands, deliver, bound)
			}

			// No sender outlives its deadline.
			for len(clitest.SendersUnder(root)) > 0 && time.Since(lastExit) < 31*time.Second {
				time.Sleep(10 * time.Millisecond)
			}
			senderLife := time.Since(lastExit)
			if n := len(clitest.SendersUnder(root)); n > 0 {
				b.Errorf("%d senders still run 30 s after the last command", n)
			}
			seen := map[string]int{}
			dups := 0
			for _, ev := range srv.Events() {
				if seen[ev.UUID]++; seen[ev.UUID] > 1 {
					dups++
				}
			}
			if dups > 0 || len(seen) != commands {
				b.Errorf("%d distinct events arrived, %d more than once; want %d, each once", len(seen), dups, commands)
			}
			spooled, _, err := spool.Stats(filepath.Join(root, "on", ".local", "state", "elmo", spool.FileName))
			if err != nil || spooled != 0 {
				b.Errorf("the spool holds %d events once the senders ended (%v), want none", spooled, err)
			}

			onMS, offMS := medianMS(on), medianMS(off)
			b.ReportMetric(onMS, "on-ms")
			b.ReportMetric(offMS, "off-ms")
			b.ReportMetric(onMS-offMS, "extra-ms")
			b.ReportMetric(float64(deliver)/float64(time.Millisecond), "deliver-ms")
			b.ReportMetric(float64(bound)/float64(time.Millisecond), "bound-ms")
			b.ReportMetric(float64(dups), "dup-events")
			b.ReportMetric(float64(spooled), "spool-events")
			b.ReportMetric(senderLife.Seconds(), "sender-s")
		})
	}
}
