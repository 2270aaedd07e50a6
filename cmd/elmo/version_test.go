package main

import (
	"strings"
	"testing"
)

// `elmo version` prints the version its telemetry reports: both come from
// one lookup of the build (resource.DefaultVersion) when no version was
// set at link time.
func TestVersionMatchesTelemetry(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	res := s.MustRun("version")
	printed, _, _ := strings.Cut(strings.TrimPrefix(res.Stdout, "elmo "), " ")
	evs := s.Events(1)
	if got := evs[0].Properties["version"]; got != printed || printed == "" {
		t.Errorf("elmo version printed %q, its event reports version %v", printed, got)
	}
}
