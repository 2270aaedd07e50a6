package otelsetup_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

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
			tel := e.start(otelsetup.WithExitBudget(100 * time.Millisecond))
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

// An unknown capture API is refused, not guessed.
func TestUnknownCaptureAPI(t *testing.T) {
	e := newEnv(t).consentGiven()
	e.vars["ELMO_POSTHOG_CAPTURE"] = "v2"
	_, err := otelsetup.Start(context.Background(),
		otelsetup.WithConfigPath(e.configPath),
		otelsetup.WithGetenv(func(k string) string { return e.vars[k] }),
		otelsetup.WithTerminal(false))
	if err == nil || !strings.Contains(err.Error(), "ELMO_POSTHOG_CAPTURE") {
		t.Errorf("Start = %v, want an error naming ELMO_POSTHOG_CAPTURE", err)
	}
}
