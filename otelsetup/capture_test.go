package otelsetup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/otelsetup"
)

// ELMO_POSTHOG_CAPTURE selects the capture API; an event a command
// spooled is sent by the background sender with its uuid and timestamp
// unchanged, with either API, also after a sender that could not deliver
// it.
func TestCaptureAPIAndSpoolReplayKeepIdentity(t *testing.T) {
	for _, api := range []string{"legacy", "v1"} {
		t.Run(api, func(t *testing.T) {
			e := newEnv(t).consentGiven()
			e.vars["ELMO_POSTHOG_CAPTURE"] = api
			e.server.SetDefault(posthogtest.Respond(503))
			tel := e.start()
			emit("cli_start")
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			e.send(otelsetup.WithSenderDeadline(1500 * time.Millisecond))
			data, err := os.ReadFile(e.spoolPath)
			if err != nil {
				t.Fatalf("nothing spooled: %v", err)
			}
			var spooled struct {
				UUID      string `json:"uuid"`
				Timestamp string `json:"timestamp"`
			}
			if err := json.Unmarshal([]byte(strings.SplitN(string(data), "\n", 2)[0]), &spooled); err != nil {
				t.Fatal(err)
			}

			e.server.SetDefault(posthogtest.Accept())
			e.send()
			evs := e.server.Events()
			if len(evs) != 1 {
				t.Fatalf("%d events replayed, want 1", len(evs))
			}
			want, _ := time.Parse(time.RFC3339Nano, spooled.Timestamp)
			if evs[0].UUID != spooled.UUID || !evs[0].Timestamp.Equal(want) {
				t.Errorf("replayed %s at %v, spooled %s at %v", evs[0].UUID, evs[0].Timestamp, spooled.UUID, want)
			}
			wantPath := "/batch/"
			if api == "v1" {
				wantPath = posthogtest.V1Path
			}
			for _, r := range e.server.Requests() {
				if r.Path != wantPath {
					t.Errorf("a request went to %s, want %s", r.Path, wantPath)
				}
			}
		})
	}
}

// A server that answers 413 to everything does not keep events in the
// CLI's spool: a single event refused as too large is dropped by the
// sender, so later senders do not send it again and again.
func TestTooLargeIsNeverSpooled(t *testing.T) {
	for _, api := range []string{"legacy", "v1"} {
		t.Run(api, func(t *testing.T) {
			e := newEnv(t).consentGiven()
			e.vars["ELMO_POSTHOG_CAPTURE"] = api
			e.server.SetDefault(posthogtest.Respond(413))
			for range 2 {
				tel := e.start()
				emit("cli_start")
				emit("cli_version")
				if err := tel.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
				e.send()
			}
			if n := len(e.server.Requests()); n == 0 {
				t.Fatal("no request reached the server: the test proves nothing")
			}
			if _, err := os.Stat(e.spoolPath); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a spool exists after 413 answers: %v", err)
			}
		})
	}
}

// A setting telemetry cannot use (an unknown capture API, a host that is
// no URL, an exporter this build lacks, an OTLP variable) is refused, not
// guessed, and never stops the program: Start turns telemetry off for the
// run, says why in Decision and in one line naming the variable, sends
// nothing and writes nothing, in either role.
func TestUnusableSettingTurnsTelemetryOff(t *testing.T) {
	tests := []struct {
		name  string
		vars  map[string]string // read through WithGetenv
		env   map[string]string // read from the process, as the SDK does
		want  string            // the variable named
		value string            // and its value
	}{
		{name: "capture API", vars: map[string]string{"ELMO_POSTHOG_CAPTURE": "v9"}, want: "ELMO_POSTHOG_CAPTURE", value: "v9"},
		{name: "host", vars: map[string]string{"ELMO_POSTHOG_HOST": "ftp://capture.example"}, want: "ELMO_POSTHOG_HOST", value: "ftp://capture.example"},
		{name: "traces exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, want: "OTEL_TRACES_EXPORTER", value: "zipkin"},
		{name: "metrics exporter", env: map[string]string{"OTEL_METRICS_EXPORTER": "prometheus"}, want: "OTEL_METRICS_EXPORTER", value: "prometheus"},
		{name: "OTLP timeout", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TIMEOUT": "-1"},
			want: "OTEL_EXPORTER_OTLP_TIMEOUT", value: "-1"},
		{name: "OTLP timeout past a duration", env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TIMEOUT": "9223372036855"},
			want: "OTEL_EXPORTER_OTLP_TIMEOUT", value: "9223372036855"},
		{name: "OTLP protocol", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			want: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "grpc"},
	}
	for _, role := range []otelsetup.Role{otelsetup.RoleCLI, otelsetup.RoleDeployment} {
		for _, tt := range tests {
			t.Run(role.String()+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t).consentGiven()
				for k, v := range tt.vars {
					e.vars[k] = v
				}
				for k, v := range tt.env {
					t.Setenv(k, v)
				}
				var stderr, logs bytes.Buffer
				opts := []otelsetup.Option{
					otelsetup.WithRole(role),
					otelsetup.WithStderr(&stderr),
					otelsetup.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
					otelsetup.WithSentLog(filepath.Join(e.dir, "sent.jsonl")),
				}
				if role == otelsetup.RoleDeployment {
					e.vars["DEPLOYMENT_ID"] = "0b6d3f7e-2c1a-4e8b-9f5d-6a4c2e1b0d93"
					opts = append(opts, otelsetup.WithServiceName("elmo-web"),
						otelsetup.WithSpoolPath(filepath.Join(e.dir, "spool.jsonl")))
				}
				before := files(t, e.dir)
				tel := e.start(opts...)
				d := tel.Decision()
				if d.Enabled || tel.Enabled() || d.Source != "error" || !strings.Contains(d.Reason, tt.want) {
					t.Errorf("decision %v, want off, from error, naming %s", d, tt.want)
				}
				if got := tel.Exporter(); got != otelsetup.ExporterOff {
					t.Errorf("exporter %q, want %q", got, otelsetup.ExporterOff)
				}
				if _, ok := otel.GetTracerProvider().(tracenoop.TracerProvider); !ok {
					t.Errorf("tracer provider is %T, want the no-op one", otel.GetTracerProvider())
				}
				if _, ok := otel.GetMeterProvider().(metricnoop.MeterProvider); !ok {
					t.Errorf("meter provider is %T, want the no-op one", otel.GetMeterProvider())
				}
				emit("cli_version")
				emit("deployment_heartbeat")
				if err := tel.ForceFlush(context.Background()); err != nil {
					t.Errorf("ForceFlush: %v", err)
				}
				if err := tel.Shutdown(context.Background()); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
				// One line, in the CLI on stderr, in a service in its log.
				said, quiet := stderr.String(), logs.String()
				if role == otelsetup.RoleDeployment {
					said, quiet = quiet, said
				}
				if strings.Count(said, "\n") != 1 || strings.Count(said, tt.want) != 1 || !strings.Contains(said, tt.value) || quiet != "" {
					t.Errorf("want one line naming %s and %q; said:\n%s\nand elsewhere:\n%s", tt.want, tt.value, said, quiet)
				}
				if n := len(e.server.Requests()); n != 0 {
					t.Errorf("%d requests with telemetry off", n)
				}
				// The CLI may have created its install ID, in config.json,
				// before the setting was read, as it did when Start failed:
				// that file is the consent's own; no other is written.
				if after := files(t, e.dir); !slices.Equal(after, before) {
					t.Errorf("files %v after the run, want %v", after, before)
				}
			})
		}
	}
}

// files returns the paths of the files under dir but config.json and its
// lock.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), "config.json") {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
