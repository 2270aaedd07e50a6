package newsletter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/otelsetup"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	email     = "ada@example.com"
	installID = "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10"
)

// waitCtx bounds waits that end long before it; it is not a speed
// assertion.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, srv *posthogtest.Server, opts ...exporter.Option) *exporter.Client {
	t.Helper()
	c, err := exporter.NewClient(append([]exporter.Option{exporter.WithHost(srv.URL), exporter.WithAPIKey("phc_test")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(waitCtx(t)) })
	return c
}

// checkSignup checks that srv received exactly one newsletter_signup event,
// keyed by wantID, with the email only in $set; and, when wantID is not
// the install ID, that the install ID was sent nowhere.
func checkSignup(t *testing.T, srv *posthogtest.Server, wantID string) {
	t.Helper()
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want exactly 1", len(evs))
	}
	ev := evs[0]
	if ev.Event != "newsletter_signup" || ev.DistinctID != wantID || ev.Properties["source"] != "cli_init" {
		t.Fatalf("event %s", ev.Raw)
	}
	set, _ := ev.Properties["$set"].(map[string]any)
	if set["email"] != email || set["wants_updates"] != true {
		t.Fatalf("$set = %v", ev.Properties["$set"])
	}
	for k, v := range ev.Properties {
		if s, ok := v.(string); ok && k != "$set" && strings.Contains(s, email) {
			t.Errorf("property %s carries the email", k)
		}
	}
	if wantID == installID {
		return
	}
	for _, r := range srv.Requests() {
		if bytes.Contains(r.Body, []byte(installID)) || strings.Contains(r.Query, installID) {
			t.Fatal("the install ID was sent with telemetry off")
		}
		for _, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, installID) {
					t.Fatal("the install ID was sent in a header")
				}
			}
		}
	}
}

func TestSend(t *testing.T) {
	for _, tt := range []struct {
		name, installID, wantID string
	}{
		{"telemetry on", installID, installID},
		{"telemetry off", "", email},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			c := newClient(t, srv)
			err := send(waitCtx(t), c, signup{Email: email, WantsUpdates: true, Source: "cli_init", InstallID: tt.installID})
			if err != nil {
				t.Fatal(err)
			}
			checkSignup(t, srv, tt.wantID)
		})
	}
}

func TestSendRejectsBadEmail(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	for _, email := range []string{"", "ada", "ada@", "Ada <ada@example.com>", "ada@localhost", "a b@example.com"} {
		if err := send(waitCtx(t), c, signup{Email: email}); !errors.Is(err, ErrInvalidEmail) {
			t.Errorf("email %q: %v, want ErrInvalidEmail", email, err)
		}
	}
	if err := c.Shutdown(waitCtx(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent for invalid emails", n)
	}
}

// A signup that is not delivered is an error, and what was not delivered
// stays with the caller: the Client holds nothing to send later.
func TestSendNotDelivered(t *testing.T) {
	tests := []struct {
		name         string
		respond      posthogtest.Response
		wantRejected bool
	}{
		{"refused", posthogtest.Respond(400), true},
		{"server down", posthogtest.Respond(503), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.SetDefault(tt.respond)
			c := newClient(t, srv, exporter.WithMaxRetries(1))
			err := send(waitCtx(t), c, signup{Email: email})
			if err == nil {
				t.Fatal("want an error when the server does not take the signup")
			}
			if got := errors.Is(err, exporter.ErrRejected); got != tt.wantRejected {
				t.Errorf("errors.Is(err, ErrRejected) = %v, want %v (%v)", got, tt.wantRejected, err)
			}
			requests := len(srv.Requests())
			srv.SetDefault(posthogtest.Accept())
			if err := c.Shutdown(waitCtx(t)); err != nil {
				t.Fatal(err)
			}
			if n := len(srv.Requests()); n != requests {
				t.Errorf("%d requests after the signup returned, want none", n-requests)
			}
		})
	}
}

// startTelemetry starts the CLI's telemetry with config.json holding
// config, sending to srv (with no project key when srv is nil).
func startTelemetry(t *testing.T, config string, srv *posthogtest.Server, vars map[string]string, stderr io.Writer) *otelsetup.Telemetry {
	t.Helper()
	dir := t.TempDir()
	configPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME"} {
		t.Setenv(k, "")
	}
	env := map[string]string{"HOME": dir, "XDG_STATE_HOME": filepath.Join(dir, "state")}
	if srv != nil {
		env["ELMO_POSTHOG_HOST"], env["ELMO_POSTHOG_KEY"] = srv.URL, "phc_test"
	}
	for k, v := range vars {
		env[k] = v
	}
	tel, err := otelsetup.Start(context.Background(),
		otelsetup.WithConfigPath(configPath),
		otelsetup.WithGetenv(func(k string) string { return env[k] }),
		otelsetup.WithStderr(stderr),
		otelsetup.WithTerminal(false),
		otelsetup.WithSpoolPath(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// TestSignUp checks the signup as elmo init makes it: keyed by the
// install ID with telemetry on, by the email with telemetry off; printed
// and not sent with ELMO_TELEMETRY_DEBUG; an error without a project key.
func TestSignUp(t *testing.T) {
	const on = `{"telemetryNoticeVersion": 1, "telemetryId": "` + installID + `"}`
	const off = `{"telemetryDisabled": true, "telemetryId": "` + installID + `"}`
	for _, tt := range []struct{ name, config, wantID string }{
		{"telemetry on", on, installID},
		{"telemetry off", off, email},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			tel := startTelemetry(t, tt.config, srv, nil, io.Discard)
			if err := SignUp(waitCtx(t), tel, email, true); err != nil {
				t.Fatal(err)
			}
			checkSignup(t, srv, tt.wantID)
		})
	}
	t.Run("debug", func(t *testing.T) {
		srv := posthogtest.NewServer()
		defer srv.Close()
		var stderr bytes.Buffer
		tel := startTelemetry(t, off, srv, map[string]string{"ELMO_TELEMETRY_DEBUG": "1"}, &stderr)
		if err := SignUp(waitCtx(t), tel, email, true); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.Requests()); n != 0 || !strings.Contains(stderr.String(), `"newsletter_signup"`) {
			t.Errorf("%d requests, stderr %q; want the signup printed and nothing sent", n, stderr.String())
		}
	})
	t.Run("no key", func(t *testing.T) {
		tel := startTelemetry(t, on, nil, nil, io.Discard)
		if err := SignUp(waitCtx(t), tel, email, true); !errors.Is(err, otelsetup.ErrNoPostHogKey) {
			t.Errorf("SignUp without a key = %v, want ErrNoPostHogKey", err)
		}
	})
	t.Run("server never answers", func(t *testing.T) {
		srv := posthogtest.NewServer()
		defer srv.Close()
		srv.SetDefault(posthogtest.Hang())
		tel := startTelemetry(t, on, srv, nil, io.Discard)
		err := SignUp(context.Background(), tel, email, true)
		if err == nil || !strings.Contains(err.Error(), "did not acknowledge it within") || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("SignUp to a server that hangs = %v, want the budget named, not the context's error", err)
		}
	})
}
