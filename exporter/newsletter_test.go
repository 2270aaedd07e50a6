package exporter_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func TestNewsletterSignup(t *testing.T) {
	const email = "ada@example.com"
	tests := []struct {
		name      string
		installID string
		wantID    string
	}{
		{"telemetry on", installID, installID},
		{"telemetry off", "", email},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			c := newClient(t, srv)
			err := exporter.NewsletterSignup(waitCtx(t), c, exporter.Signup{
				Email: email, WantsUpdates: true, Source: "cli_init", InstallID: tt.installID,
			})
			if err != nil {
				t.Fatal(err)
			}
			shutdown(t, c)
			evs := srv.Events()
			if len(evs) != 1 {
				t.Fatalf("%d events, want exactly 1", len(evs))
			}
			ev := evs[0]
			if ev.Event != "newsletter_signup" || ev.DistinctID != tt.wantID || ev.Properties["source"] != "cli_init" {
				t.Fatalf("event %s", ev.Raw)
			}
			set, _ := ev.Properties["$set"].(map[string]any)
			if set["email"] != email || set["wants_updates"] != true {
				t.Fatalf("$set = %v", ev.Properties["$set"])
			}
			if tt.installID == "" {
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
		})
	}
}

func TestNewsletterSignupRejectsBadEmail(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	for _, email := range []string{"", "ada", "ada@", "Ada <ada@example.com>", "ada@localhost", "a b@example.com"} {
		if err := exporter.NewsletterSignup(waitCtx(t), c, exporter.Signup{Email: email}); err == nil {
			t.Errorf("email %q accepted", email)
		}
	}
	shutdown(t, c)
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent for invalid emails", n)
	}
}

// A signup that is not delivered is an error, and what was not delivered
// stays with the caller: the Client holds nothing to send later.
func TestNewsletterSignupNotDelivered(t *testing.T) {
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
			err := exporter.NewsletterSignup(waitCtx(t), c, exporter.Signup{Email: "ada@example.com"})
			if err == nil {
				t.Fatal("want an error when the server does not take the signup")
			}
			if got := errors.Is(err, exporter.ErrRejected); got != tt.wantRejected {
				t.Errorf("errors.Is(err, ErrRejected) = %v, want %v (%v)", got, tt.wantRejected, err)
			}
			requests := len(srv.Requests())
			srv.SetDefault(posthogtest.Accept())
			shutdown(t, c)
			if n := len(srv.Requests()); n != requests {
				t.Errorf("%d requests after the signup returned, want none", n-requests)
			}
		})
	}
}
