package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// spoolOne runs `elmo version` against a server that never answers, so
// that its event stays in the spool while its background sender waits,
// and returns the event's UUID as the spool at path holds it.
func spoolOne(t *testing.T, s *sandbox, path string) string {
	t.Helper()
	s.Server.SetDefault(posthogtest.Hang())
	s.MustRun("version")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("nothing spooled at %s: %v", path, err)
	}
	var ev struct {
		UUID string `json:"uuid"`
	}
	if err := json.Unmarshal([]byte(strings.SplitN(string(data), "\n", 2)[0]), &ev); err != nil || ev.UUID == "" {
		t.Fatalf("spool %s: %v\n%s", path, err, data)
	}
	return ev.UUID
}

// The CLI keeps unsent events in its state directory,
// $XDG_STATE_HOME/elmo, else ~/.local/state/elmo, and status says where.
func TestSpoolInStateDirectory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state func(s *sandbox) string // XDG_STATE_HOME; "" leaves it unset
		want  func(s *sandbox) string
	}{
		{
			name:  "XDG_STATE_HOME",
			state: func(s *sandbox) string { return filepath.Join(s.Root, "state") },
			want:  func(s *sandbox) string { return filepath.Join(s.Root, "state", "elmo", "telemetry-spool.jsonl") },
		},
		{
			name:  "default",
			state: func(*sandbox) string { return "" },
			want: func(s *sandbox) string {
				return filepath.Join(s.Home, ".local", "state", "elmo", "telemetry-spool.jsonl")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			s.Extra["XDG_STATE_HOME"] = tc.state(s)
			s.WriteConfig(consentGiven)
			spoolOne(t, s, tc.want(s))
			if _, err := os.Stat(filepath.Join(filepath.Dir(s.ConfigPath()), "telemetry-spool.jsonl")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a spool beside config.json: %v", err)
			}
			st := status(t, s)
			if st.Spool.Path != tc.want(s) || st.Spool.Events < 1 {
				t.Errorf("status shows the spool %s with %d events, want %s with at least 1", st.Spool.Path, st.Spool.Events, tc.want(s))
			}
		})
	}
}

// A spool an earlier version left beside config.json is moved to the
// state directory (created for it) by the next run, and its event is
// delivered once; the old file is gone.
func TestLegacySpoolDeliveredOnce(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	state := s.StateHome
	path := s.SpoolPath()
	uuid := spoolOne(t, s, path)
	legacy := filepath.Join(filepath.Dir(s.ConfigPath()), "telemetry-spool.jsonl")
	// An earlier version left the spool and no sender: end the one that
	// waits on the server, which leaves its events in the spool, before
	// the spool moves.
	killSenders(t, s)
	if err := os.Rename(path, legacy); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}

	s.Server.SetDefault(posthogtest.Accept())
	s.MustRun("version")
	s.MustRun("version")
	n := 0
	for _, ev := range s.Events(3) {
		if ev.UUID == uuid {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the spooled event was delivered %d times, want once", n)
	}
	// The sender takes what PostHog acknowledged out of the spool after
	// the delivery: wait for it to end before looking.
	s.WaitSenders()
	if n := len(s.Server.Events()); n != 3 {
		t.Errorf("PostHog got %d events, want 3: the spooled one and one per run", n)
	}
	for _, p := range []string{legacy, path} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after delivery: %v", p, err)
		}
	}
}

// `elmo telemetry disable` deletes the unsent events wherever they are:
// in the state directory and beside config.json.
func TestDisableDeletesEverySpool(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	path := s.SpoolPath()
	spoolOne(t, s, path)
	legacy := filepath.Join(filepath.Dir(s.ConfigPath()), "telemetry-spool.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(legacy, data, 0o600); err != nil {
		t.Fatal(err)
	}
	res := s.MustRun("telemetry", "disable")
	if !strings.Contains(res.Stdout, "unsent events") {
		t.Errorf("disable does not say it deleted the unsent events:\n%s", res.Stdout)
	}
	for _, p := range []string{legacy, path} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after disable: %v", p, err)
		}
	}
}

// A state directory that cannot be one (a file stands in its place, which
// root cannot write through either) costs the command's events, which it
// cannot spool: the command succeeds, quietly, without a sender and
// without a request to PostHog, whatever the server does, and the file is
// left as it was.
func TestUnusableStateDirectory(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	blocker := filepath.Dir(s.SpoolPath())
	if err := os.MkdirAll(filepath.Dir(blocker), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, resp := range []posthogtest.Response{posthogtest.Hang(), posthogtest.Accept()} {
		s.Server.SetDefault(resp)
		res := s.Run("version")
		if res.Code != 0 || res.Stderr != "" {
			t.Errorf("elmo version: exit code %d, stderr %q; want 0 and nothing", res.Code, res.Stderr)
		}
		if pids := s.Senders(); len(pids) != 0 {
			t.Errorf("elmo version started the senders %v with no spool to send", pids)
		}
	}
	s.AssertNoRequests()
	if b, err := os.ReadFile(blocker); err != nil || string(b) != "not a directory" {
		t.Errorf("the file in the state directory's place changed: %q, %v", b, err)
	}
}

// killSenders ends the background senders of s's runs, as a restart of
// the machine would, and waits until they are gone. A sender killed while
// it waits on PostHog leaves the spool as it was.
func killSenders(t *testing.T, s *sandbox) {
	t.Helper()
	clitest.KillSendersUnder(s.Home)
	s.WaitSenders()
}
