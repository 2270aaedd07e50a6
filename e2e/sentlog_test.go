package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// logRecord is a record of `elmo telemetry log --json`.
type logRecord struct {
	Outcome string          `json:"outcome"`
	UUID    string          `json:"uuid"`
	Name    string          `json:"name"`
	Event   json.RawMessage `json:"event"`
}

// telemetryLog runs `elmo telemetry log --json` with args and decodes it.
func (s *sandbox) telemetryLog(args ...string) []logRecord {
	s.T.Helper()
	res := s.MustRun(append([]string{"telemetry", "log", "--json"}, args...)...)
	var recs []logRecord
	for line := range strings.Lines(res.Stdout) {
		var r logRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			s.T.Fatalf("telemetry log --json: %v\n%s", err, res.Stdout)
		}
		recs = append(recs, r)
	}
	return recs
}

// checkLog checks that recs are exactly the events of want, as the server
// received them, in a file of mode 0600 at path.
func checkLog(t *testing.T, what, path string, recs []logRecord, want []posthogtest.Event, wire map[string]string) {
	t.Helper()
	var got, wantIDs []string
	for _, r := range recs {
		got = append(got, r.UUID)
		if r.Outcome != "sent" || string(r.Event) != wire[r.UUID] {
			t.Errorf("%s: %s %s (%s) is recorded as\n%s\nthe server received\n%s", what, r.Outcome, r.Name, r.UUID, r.Event, wire[r.UUID])
		}
	}
	for _, e := range want {
		wantIDs = append(wantIDs, e.UUID)
	}
	slices.Sort(got)
	slices.Sort(wantIDs)
	if len(wantIDs) == 0 || !slices.Equal(got, wantIDs) {
		t.Errorf("%s: the log has uuids %v, the server received %v", what, got, wantIDs)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %s: %v, mode %v; want a file of mode 0600", what, path, err, fi.Mode().Perm())
	}
}

// "`elmo telemetry log` shows the events this machine sent, exactly as
// they went, with the same uuids PostHog has, and those dropped, with the
// reason; `elmo telemetry disable` deletes it."
//
// The CLI's record is in ~/.local/state/elmo, the deployment's in its
// directory (`elmo telemetry log --dir`); both show what the capture
// server received, byte for byte, and nothing else.
func TestPromise_LogShowsWhatWasSent(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes")
	s.MustRun("version")
	s.Events(2)
	// The sender writes the log once PostHog has answered.
	s.settle()
	cliLog := filepath.Join(s.Home, ".local", "state", "elmo", "telemetry-log.jsonl")
	var cliEvents []posthogtest.Event
	for _, e := range s.Server.Events() {
		if e.Properties["service"] == "elmo-cli" {
			cliEvents = append(cliEvents, e)
		}
	}
	checkLog(t, "CLI", cliLog, s.telemetryLog(), cliEvents, s.Server.Wire())

	requireDeployment(t)
	n := s.settle() // telemetry log is a command too
	st := s.startStack(nil)
	st.createBrand(canaryBrand)
	st.stop()
	var deployment []posthogtest.Event
	for _, e := range s.Server.Events() {
		if e.Properties["service"] == "elmo-web" || e.Properties["service"] == "elmo-worker" {
			deployment = append(deployment, e)
		}
	}
	if s.RequestCount() == n {
		t.Fatal("the deployment sent nothing")
	}
	checkLog(t, "deployment", filepath.Join(s.Dir, "telemetry-log.jsonl"), s.telemetryLog("--dir", s.Dir), deployment, s.Server.Wire())

	// A sender that delivers while disable runs records what it sent
	// afterwards: let them end first.
	s.settle()
	s.MustRun("telemetry", "disable")
	for _, p := range []string{cliLog, filepath.Join(s.Dir, "telemetry-log.jsonl")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there after elmo telemetry disable: %v", p, err)
		}
	}
	if recs := s.telemetryLog(); len(recs) != 0 {
		t.Errorf("after disable the CLI log shows %d records", len(recs))
	}
	if recs := s.telemetryLog("--dir", s.Dir); len(recs) != 0 {
		t.Errorf("after disable the deployment log shows %d records", len(recs))
	}
}
