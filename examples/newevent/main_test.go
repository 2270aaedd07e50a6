package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/processors"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNewEventIsListedAndSent runs the example against a loopback PostHog
// server and checks both halves of adding an event: the catalog table
// lists it with its property and allowed values, and the server receives
// it, counted by format.
func TestNewEventIsListedAndSent(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_METRICS_EXPORTER", "")
	srv := posthogtest.NewServer()
	t.Cleanup(srv.Close)
	env := map[string]string{"ELMO_POSTHOG_HOST": srv.URL, "ELMO_POSTHOG_KEY": "phc_test"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), func(k string) string { return env[k] }, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}

	out := stdout.String()
	for _, re := range []string{
		`(?m)^reports_exported +counter +web +format +Reports exported from the web app`,
		`(?m)^  reports_exported\.format +string +Format of the exported file\.$`,
		`(?m)^ +one of: csv, pdf$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("the catalog table does not match %s:\n%s", re, out)
		}
	}
	// The rest of the catalog is still listed.
	for _, e := range catalog.Events() {
		if !strings.Contains(out, e.DisplayName()) {
			t.Errorf("the catalog table lacks %s", e.DisplayName())
		}
	}

	// Shutdown waited for delivery: everything has arrived.
	got := map[string]float64{}
	for _, ev := range srv.Events() {
		if ev.Event != "reports_exported" {
			t.Errorf("unexpected event %s", ev.Event)
			continue
		}
		if ev.Properties["service"] != "elmo-web" {
			t.Errorf("service = %v, want elmo-web", ev.Properties["service"])
		}
		format, _ := ev.Properties["format"].(string)
		value, _ := ev.Properties["value"].(float64)
		got[format] += value
	}
	if want := map[string]float64{"csv": 3, "pdf": 1}; len(got) != len(want) || got["csv"] != want["csv"] || got["pdf"] != want["pdf"] {
		t.Errorf("reports_exported by format = %v, want %v", got, want)
	}
}

// TestEntryIsValid checks that the new entry passes the policy's
// validation on its own terms, and that without it the counter would not
// be allowed: the entry is what lets the event leave the process.
func TestEntryIsValid(t *testing.T) {
	if _, ok := processors.DefaultPolicy().Event(reportsExported.Name); ok {
		t.Fatalf("%s is already in the default catalog; the example would show nothing new", reportsExported.Name)
	}
	p, err := processors.NewPolicy(append(catalog.Events(), reportsExported),
		processors.WithResourceAttributes(catalog.Resource()...))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Event(reportsExported.Name); !ok {
		t.Errorf("the policy does not know %s", reportsExported.Name)
	}
}
