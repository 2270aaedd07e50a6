package exporter_test

import (
	"bytes"
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

func TestNewsletterSignupNotDelivered(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.SetDefault(posthogtest.Respond(400))
	var hooked int
	c := newClient(t, srv, exporter.WithUndelivered(func(evs []exporter.Event) { hooked += len(evs) }))
	err := exporter.NewsletterSignup(waitCtx(t), c, exporter.Signup{Email: "ada@example.com"})
	if err == nil {
		t.Fatal("want an error when the server refuses the signup")
	}
	shutdown(t, c)
	if hooked != 0 {
		t.Fatal("the signup went to the undelivered hook")
	}
}
