package e2e

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/testkit/otlptest"
)

// Canaries a user or a deployment can type where Elmo reads a name: a
// deployment mode and model names. The catalog sends none of them as
// typed.
const (
	canaryMode      = "acmecorp-canary"
	canaryFineTune  = "ft:gpt-4o-mini:canary-corp::x9"
	canaryLocalHost = "canary-laptop:11434"
	canaryPrivate   = "llama3-canary-private"
)

// "Elmo sends only the events and properties listed below, to PostHog and
// to any exporter you choose for debugging alike; anything else a program
// records is dropped before it leaves the process."
//
// The catalog's promise holds on every road out, not only PostHog: with
// the standard variables choosing OTLP or the console, what a local
// collector or the terminal receives is what PostHog would, and the
// names a user typed (a mode, model names) are sent only as the
// catalog's values. The CLI and both services run as built binaries,
// with canaries in every input.
func TestEveryRouteCarriesOnlyTheCatalog(t *testing.T) {
	s := newSandbox(t)
	s.plantCanaries()
	s.WriteConfig(consentGiven)
	model := newModelServer(t)
	s.Extra["OPENAI_BASE_URL"] = model.URL + "/v1"
	s.Extra["OTEL_BSP_SCHEDULE_DELAY"] = "100"
	s.Extra["DEPLOYMENT_MODE"] = canaryMode // the CLI reads it from its environment
	s.MustRun("init", "--yes", "--mode", canaryMode, "--provider", "openai")
	if !strings.Contains(s.EnvFile(), "DEPLOYMENT_MODE="+canaryMode) {
		t.Fatalf("control: init did not record the mode:\n%s", s.EnvFile())
	}
	// What the CLI is given, and what the deployment is given besides.
	cliPlanted := []string{canaryMode, canaryHost, canaryUser, canaryEmail}
	planted := append([]string{canaryFineTune, "canary-corp", canaryLocalHost, canaryPrivate}, cliPlanted...)
	input := strings.Join(append(s.Environ(), s.EnvFile(), canaryFineTune, canaryLocalHost, canaryPrivate), "\n")

	t.Run("cli console", func(t *testing.T) {
		res := s.MustRunEnv(map[string]string{"OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "console"}, "version")
		if !strings.Contains(res.Stdout, `"cli_version"`) {
			t.Fatalf("control: the console output lacks the span:\n%s", res.Stdout)
		}
		assertAbsent(t, "the console output", []byte(res.Stdout), input, cliPlanted...)
		if !strings.Contains(res.Stdout, `"other"`) {
			t.Errorf("the mode is not sent as other:\n%s", res.Stdout)
		}
	})

	t.Run("cli otlp", func(t *testing.T) {
		rcv := otlptest.NewServer()
		defer rcv.Close()
		s.MustRunEnv(map[string]string{
			"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL,
		}, "version")
		if got := rcv.SpanNames(); !slices.Equal(got, []string{"cli_version"}) {
			t.Fatalf("the collector got spans %q, want [cli_version]", got)
		}
		assertAbsent(t, "OTLP", rcv.Body(), input, cliPlanted...)
	})

	t.Run("deployment otlp", func(t *testing.T) {
		requireDeployment(t)
		rcv := otlptest.NewServer()
		defer rcv.Close()
		before := s.settle() // init's event arrives after it
		st := s.startStack(map[string]string{
			"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL,
		})
		brand := st.createBrand(canaryBrand)
		st.createPrompt(brand, canaryPrompt,
			target{Provider: "openai", Model: canaryFineTune},
			target{Provider: "openai", Model: canaryLocalHost},
			target{Provider: "openai", Model: canaryPrivate},
			target{Provider: "openai", Model: "openai/gpt-4o-mini"})
		st.waitProcessed(1)
		st.stop()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := rcv.Wait(ctx, func(r *otlptest.Server) bool {
			return slices.Contains(r.SpanNames(), "prompt_processed") && slices.Contains(r.MetricNames(), "prompt_runs")
		}); err != nil {
			t.Fatalf("the collector did not get prompt_processed and prompt_runs: spans %q, metrics %q", rcv.SpanNames(), rcv.MetricNames())
		}
		if !strings.Contains(model.received(), canaryFineTune) {
			t.Fatalf("control: the provider never saw the model names:\n%s", model.received())
		}
		body := rcv.Body()
		assertAbsent(t, "OTLP", body, input, planted...)
		for _, want := range []string{"fine-tuned", "gpt-4o-mini", "other"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("the collector never got the model value %q", want)
			}
		}
		s.assertNoRequestsSince(before, "PostHog, with OTLP chosen for both signals")
	})
}

// A spool line that a later run finds (from an older Elmo, or planted)
// is sent only when it is a catalog event of the current format; any
// other line is dropped and removed, never sent.
func TestPlantedSpoolLinesAreNeverSent(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	s.MustRun("version")
	s.Events(1)
	id := s.InstallID()
	ts := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	line := func(v int, event string, props map[string]any) string {
		b, err := json.Marshal(map[string]any{
			"v": v, "uuid": "0b6c3d2e-1f4a-5b6c-8d7e-9f0a1b2c3d4e", "event": event, "distinct_id": id,
			"timestamp": ts, "properties": props,
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	valid := map[string]any{"exit_code": 0, "version": "1.2.3", "duration_ms": 2, "success": true}
	lines := []string{
		line(0, "cli_version", valid), // an older format
		line(1, "canary_event", valid),
		line(1, "cli_version", map[string]any{"exit_code": 0, "user": canaryUser}),
		line(1, "cli_version", map[string]any{"exit_code": 0, "deployment_mode": canaryMode}),
		line(1, "newsletter_signup", map[string]any{"$set": map[string]any{"email": canaryEmail}}),
		`{"v":1,"event":"cli_version","properties":{"path":"/home/canary-user"}`,
	}
	spool := s.SpoolPath()
	before := s.settle()
	writeFile(t, spool, strings.Join(lines, "\n")+"\n")
	s.MustRun("version")
	s.Events(2)
	// The sender removes the lines it drops once it has sent the rest.
	s.settle()
	reqs := s.Server.Requests()[before:]
	if countEvents(reqs) != 1 {
		t.Errorf("%d events sent, want only this run's cli_version", countEvents(reqs))
	}
	assertAbsent(t, "telemetry", bodies(reqs), strings.Join(lines, "\n"), "canary", canaryMode, canaryEmail)
	if b, err := os.ReadFile(spool); err == nil && strings.Contains(string(b), "canary") {
		t.Errorf("the planted lines are still in the spool:\n%s", b)
	}
}

// An exporter setting this build does not support, or a telemetry
// setting it cannot use, is named in one line on stderr; the command
// still runs, and nothing is sent anywhere.
func TestUnsupportedExporterSettingIsNamed(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, `OTEL_TRACES_EXPORTER="zipkin"`},
		{map[string]string{"OTEL_METRICS_EXPORTER": "prometheus"}, `OTEL_METRICS_EXPORTER="prometheus"`},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, `OTEL_EXPORTER_OTLP_PROTOCOL="grpc"`},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TIMEOUT": "-1"}, `OTEL_EXPORTER_OTLP_TIMEOUT="-1"`},
		{map[string]string{"OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TIMEOUT": "9223372036855"}, `OTEL_EXPORTER_OTLP_TIMEOUT="9223372036855"`},
		{map[string]string{"ELMO_POSTHOG_CAPTURE": "v9"}, `capture API "v9"`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			before := s.RequestCount()
			res := s.MustRunEnv(tc.env, "version")
			if lines := strings.Count(res.Stderr, "\n"); !strings.Contains(res.Stderr, tc.want) || lines != 1 {
				t.Errorf("stderr does not name %s in one line:\n%s", tc.want, res.Stderr)
			}
			s.assertNoRequestsSince(before, "PostHog, with an unsupported exporter setting")
		})
	}
}
