package otelsetup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/otelsetup"
)

// TestDebugPrintsWhyTheGateDropped checks that ELMO_TELEMETRY_DEBUG=1
// follows each printed event with what the gate removed from it and why,
// says when a span is dropped whole, and never shows a removed value.
func TestDebugPrintsWhyTheGateDropped(t *testing.T) {
	const privateModel = "acme-private-model"
	e := newEnv(t).consentGiven()
	e.vars["ELMO_TELEMETRY_DEBUG"] = "1"
	var stderr bytes.Buffer
	tel := e.start(otelsetup.WithStderr(&stderr))

	emit("cli_start")
	emit("provider_request")
	_, span := otel.Tracer("test").Start(context.Background(), "prompt_processed",
		trace.WithAttributes(attribute.StringSlice("models", []string{"gpt-4o", privateModel})))
	span.End()
	runs, err := otel.Meter("test").Int64Counter("prompt_runs")
	if err != nil {
		t.Fatal(err)
	}
	runs.Add(context.Background(), 1, metric.WithAttributes(
		attribute.String("outcome", "ok"), attribute.String("prompt", canaryValue)))
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Each event with the notes printed after it, and the notes printed
	// on their own.
	notes := map[string][]string{}
	event := ""
	for line := range strings.Lines(stderr.String()) {
		line = strings.TrimSuffix(line, "\n")
		if n, ok := strings.CutPrefix(line, exporter.NotePrefix); ok {
			notes[event] = append(notes[event], n)
			continue
		}
		var ev struct{ Event string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("debug output line %q is neither an event nor a note", line)
		}
		event = ev.Event
	}
	want := map[string][]string{
		"cli_start": {
			"dropped attribute canary_key: not in catalog entry cli_<command> (span cli_start)",
			"dropped attribute exit_code_path: not in catalog entry cli_<command> (span cli_start)",
			"dropped 2 span event(s) (logs, exceptions): span events are never sent",
		},
		"prompt_processed": {`models "…": sent as other (no public family matched)`},
		"prompt_runs":      {"dropped attribute prompt: not in catalog entry prompt_runs"},
	}
	for ev, w := range want {
		if got := notes[ev]; strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("notes after %s:\n%q\nwant:\n%q", ev, got, w)
		}
	}
	if !strings.Contains(stderr.String(), exporter.NotePrefix+"dropped span provider_request: not in catalog\n") {
		t.Errorf("no note that the provider_request span was dropped:\n%s", stderr.String())
	}
	for _, secret := range []string{canaryValue, canaryError, privateModel} {
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("debug output shows the dropped value %q:\n%s", secret, stderr.String())
		}
	}
	if n := len(e.server.Requests()); n != 0 {
		t.Errorf("debug mode sent %d requests", n)
	}
}
