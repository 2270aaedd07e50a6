package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
	"github.com/elmohq/telemetry/otelsetup"
)

// watchSenders counts, until stop is called, the most background senders
// of s alive at once.
func watchSenders(s *sandbox) (most func() int, stop func()) {
	var (
		peak atomic.Int64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if n := int64(len(s.Senders())); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() int { return int(peak.Load()) }, func() { close(done); wg.Wait() }
}

// uuidCounts counts the events the server accepted, by uuid.
func uuidCounts(evs []posthogtest.Event) map[string]int {
	n := map[string]int{}
	for _, e := range evs {
		n[e.UUID]++
	}
	return n
}

// Two hundred commands in a tight loop while PostHog never answers: the
// commands never wait for it, at most one sender runs at a time, the
// spool stays within its caps, and once PostHog answers every event
// arrives exactly once.
func TestSenderTightLoopWhileCaptureHangs(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.WriteConfig(clitest.ConsentGiven)
	s.Server.SetDefault(posthogtest.Hang())
	most, stop := watchSenders(s)
	const commands = 200
	for range commands {
		s.MustRun("version")
	}
	// The first sender holds a request that never ends: the others found
	// it running and started none.
	if _, err := s.Server.WaitForRequests(waitCtx(t), 1); err != nil {
		t.Fatalf("no sender reached the server: %v", err)
	}
	events, size, err := spool.Stats(s.SpoolPath())
	if err != nil || events != min(commands, spool.MaxEvents) || size > 1<<20 {
		t.Errorf("the spool holds %d events in %d bytes (%v); want %d within 1 MiB", events, size, err, min(commands, spool.MaxEvents))
	}

	s.Server.SetDefault(posthogtest.Accept())
	s.Server.ReleaseHeld()
	evs := s.Events(commands)
	s.WaitSenders()
	stop()
	if n := most(); n != 1 {
		t.Errorf("at most %d senders ran at once; want exactly one", n)
	}
	counts := uuidCounts(evs)
	if len(counts) != commands {
		t.Errorf("%d distinct events arrived, want %d", len(counts), commands)
	}
	for u, n := range counts {
		if n != 1 {
			t.Errorf("event %s arrived %d times; every acknowledgement arrived, so want once", u, n)
		}
	}
	if got := posthogtest.Named(evs, catalog.EventCLIPrefix+"version"); len(got) != commands {
		t.Errorf("%d cli_version events, want %d", len(got), commands)
	}
	if _, err := os.Stat(s.SpoolPath()); !os.IsNotExist(err) {
		t.Errorf("the spool is still there once everything was delivered: %v", err)
	}
}

// A sender killed while PostHog holds its request: the next sender
// delivers what was not acknowledged. A line can then reach PostHog twice
// (when PostHog had received it, but its answer never arrived), and it
// does so with the same uuid, timestamp and properties, which PostHog
// keeps as one event.
func TestSenderKilledMidRequest(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.WriteConfig(clitest.ConsentGiven)
	// PostHog takes the first request's events, and its answer is lost.
	s.Server.Script(posthogtest.Swallow())
	s.Server.SetDefault(posthogtest.Hang())
	s.MustRun("version")
	first := s.Events(1)[0]
	senders := s.Senders()
	if len(senders) != 1 {
		t.Fatalf("%d senders run while the request is held, want 1", len(senders))
	}
	p, err := os.FindProcess(senders[0])
	if err == nil {
		err = p.Kill() // SIGKILL
	}
	if err != nil {
		t.Fatal(err)
	}
	s.WaitSenders()
	if events, _, _ := spool.Stats(s.SpoolPath()); events != 1 {
		t.Fatalf("the killed sender's line is not in the spool: %d events, want 1", events)
	}

	s.Server.SetDefault(posthogtest.Accept())
	s.Server.ReleaseHeld()
	s.MustRun("version")
	evs := s.Events(3)
	s.WaitSenders()
	counts := uuidCounts(evs)
	if counts[first.UUID] != 2 || len(counts) != 2 {
		t.Fatalf("uuids arrived %v; want the first command's twice and the second's once", counts)
	}
	var again []posthogtest.Event
	for _, e := range evs {
		if e.UUID == first.UUID {
			again = append(again, e)
		}
	}
	if string(again[0].Raw) != string(again[1].Raw) {
		t.Errorf("the line sent twice differs between its two sendings:\n%s\n%s", again[0].Raw, again[1].Raw)
	}
	if _, err := os.Stat(s.SpoolPath()); !os.IsNotExist(err) {
		t.Errorf("the spool is still there: %v", err)
	}
}

// With telemetry off, on the run that shows no choice yet, and with
// ELMO_TELEMETRY_DEBUG, no sender is ever started and nothing is spooled.
func TestNoSenderWhenNothingMaySend(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string // "" writes none: no choice recorded
		env    map[string]string
	}{
		{"DISABLE_TELEMETRY", clitest.ConsentGiven, map[string]string{"DISABLE_TELEMETRY": "1"}},
		{"DO_NOT_TRACK", clitest.ConsentGiven, map[string]string{"DO_NOT_TRACK": "1"}},
		{"OTEL_SDK_DISABLED", clitest.ConsentGiven, map[string]string{"OTEL_SDK_DISABLED": "true"}},
		{"config", `{"telemetryDisabled": true}`, nil},
		{"no choice yet", "", nil},
		{"debug", clitest.ConsentGiven, map[string]string{otelsetup.VarTelemetryDebug: "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			if tc.config != "" {
				s.WriteConfig(tc.config)
			}
			most, stop := watchSenders(s)
			for range 3 {
				s.MustRunEnv(tc.env, "version")
			}
			stop()
			if n := most(); n != 0 {
				t.Errorf("%d senders ran", n)
			}
			if _, err := os.Stat(s.SpoolPath()); !os.IsNotExist(err) {
				t.Errorf("a spool was written: %v", err)
			}
			if _, running := spool.SenderRunning(s.SpoolPath()); running {
				t.Error("a sender holds the lock")
			}
			s.AssertNoRequests()
		})
	}
}

// An opt-out made after a command recorded its events and before its
// sender ran: the sender sends nothing and deletes the spool. The sender
// is held back by taking its lock, as a sender still running would.
func TestOptOutBeforeTheSenderRuns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		optOut func(s *sandbox)
	}{
		{"config.json", func(s *sandbox) { s.WriteConfig(`{"telemetryDisabled": true}`) }},
		{"telemetry disable", func(s *sandbox) { s.MustRun("telemetry", "disable") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			s.WriteConfig(clitest.ConsentGiven)
			if err := os.MkdirAll(s.StateHome+"/elmo", 0o700); err != nil {
				t.Fatal(err)
			}
			lock := spool.NewSenderLock(s.SpoolPath())
			if ok, err := lock.TryLock(); !ok || err != nil {
				t.Fatalf("cannot hold the sender back: %v", err)
			}
			s.MustRun("version")
			if events, _, _ := spool.Stats(s.SpoolPath()); events != 1 {
				t.Fatalf("the command spooled %d events, want 1", events)
			}
			tc.optOut(s)
			_ = lock.Unlock()

			// The sender the command would have started.
			ctx, cancel := context.WithTimeout(context.Background(), clitest.RunTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, clitest.Elmo(), otelsetup.SenderArg)
			cmd.Env = s.Environ()
			if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
				t.Fatalf("the sender: %v, output %q; want a silent exit 0", err, out)
			}
			if _, err := os.Stat(s.SpoolPath()); !os.IsNotExist(err) {
				t.Errorf("the spool is still there after the opt-out: %v", err)
			}
			s.AssertNoRequests()
		})
	}
}

// waitCtx bounds a wait of a test for something a program must do.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clitest.WaitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// "An `elmo` command never waits for the network: it writes its events to
// a file in your state directory (`~/.local/state/elmo`) and exits, and a
// short background process started by it sends them and ends within 30
// seconds."
//
// Against a capture server that never answers: the command exits with its
// events in the spool, every request the server receives comes from a
// connection of the background sender, not of the command, and the sender
// ends by its deadline, leaving the events in the spool for the next one.
func TestPromise_CommandsNeverWaitForTheNetwork(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.WriteConfig(clitest.ConsentGiven)
	s.Server.SetDefault(posthogtest.Hang())
	s.MustRun("version")
	if events, _, err := spool.Stats(s.SpoolPath()); err != nil || events != 1 {
		t.Fatalf("the command left %d events in %s (%v), want its one event", events, s.SpoolPath(), err)
	}
	reqs, err := s.Server.WaitForRequests(waitCtx(t), 1)
	if err != nil {
		t.Fatalf("no request reached the server: %v", err)
	}
	senders := s.Senders()
	if len(senders) != 1 {
		t.Fatalf("%d background senders run, want 1", len(senders))
	}
	ports := socketPorts(t, senders[0])
	for _, r := range reqs {
		_, port, _ := strings.Cut(r.RemoteAddr, ":")
		if !ports[port] {
			t.Errorf("a request came from port %s, which is not a connection of the sender (pid %d, ports %v)", port, senders[0], ports)
		}
	}
	start := time.Now()
	for len(s.Senders()) > 0 && time.Since(start) < otelsetup.DefaultSenderDeadline+15*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(s.Senders()); n != 0 {
		t.Errorf("the sender still runs %v after the command, past its deadline of %v", time.Since(start), otelsetup.DefaultSenderDeadline)
	}
	if events, _, _ := spool.Stats(s.SpoolPath()); events != 1 {
		t.Errorf("after the sender gave up the spool holds %d events, want the one it could not deliver", events)
	}
}

// socketPorts returns the local ports of the TCP connections the process
// pid holds, read from /proc.
func socketPorts(t *testing.T, pid int) map[string]bool {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("cannot list the sender's descriptors: %v", err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	ports := map[string]bool{}
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || !inodes[f[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil {
				ports[strconv.FormatUint(p, 10)] = true
			}
		}
	}
	return ports
}

// `elmo telemetry disable` while a sender is delivering stops it: nothing
// it held is sent afterwards, and neither the spool nor the telemetry log
// comes back.
func TestDisableStopsARunningSender(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.WriteConfig(clitest.ConsentGiven)
	s.Server.SetDefault(posthogtest.Hang())
	s.MustRun("version")
	if _, err := s.Server.WaitForRequests(waitCtx(t), 1); err != nil {
		t.Fatalf("no sender reached the server: %v", err)
	}
	if len(s.Senders()) != 1 {
		t.Fatal("no sender runs: the test would prove nothing")
	}
	s.MustRun("telemetry", "disable")
	// Were the sender still there, it would now be answered 503 and
	// deliver on its next try.
	s.Server.SetDefault(posthogtest.Accept())
	s.Server.ReleaseHeld()
	s.WaitSenders()
	if n := len(s.Server.Events()); n != 0 {
		t.Errorf("%d events were accepted after the opt-out", n)
	}
	for _, p := range []string{s.SpoolPath(), s.SentLogPath()} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after the opt-out: %v", p, err)
		}
	}
}
