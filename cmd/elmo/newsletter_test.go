package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// A signup PostHog does not take ends init with one clear line, never
// "interrupted", and the email is written nowhere: not to the spool a
// later run sends, not to any file, whether the server answers 503, never
// answers, or cannot be reached; with either capture API.
func TestNewsletterNotDelivered(t *testing.T) {
	const email = "signup-canary@example.org"
	for _, api := range []string{"legacy", "v1"} {
		for _, server := range []string{"503", "hangs", "refuses"} {
			t.Run(api+"/"+server, func(t *testing.T) {
				s := newSandbox(t)
				s.Extra["ELMO_POSTHOG_CAPTURE"] = api
				switch server {
				case "503":
					s.Server.SetDefault(posthogtest.Respond(503))
				case "hangs":
					s.Server.SetDefault(posthogtest.Hang())
				case "refuses":
					s.Extra["ELMO_POSTHOG_HOST"] = refusingHost(t)
				}
				res := s.Run("init", "--yes", "--email", email)
				if res.Code == 0 {
					t.Errorf("init exited 0 though the signup was not sent")
				}
				var lines []string
				for l := range strings.Lines(res.Stderr) {
					if strings.Contains(l, "signup") {
						lines = append(lines, l)
					}
				}
				if len(lines) != 1 || !strings.Contains(lines[0], "product-updates signup was not sent") {
					t.Errorf("stderr has %d signup lines, want one saying it was not sent:\n%s", len(lines), res.Stderr)
				}
				if strings.Contains(res.Stderr, "interrupted") {
					t.Errorf("stderr says interrupted, though nothing was:\n%s", res.Stderr)
				}
				for _, root := range []string{s.Home, s.ConfigHome, s.Dir} {
					_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
						if err != nil || d.IsDir() {
							return nil
						}
						if b, _ := os.ReadFile(p); strings.Contains(string(b), email) {
							t.Errorf("%s holds the email", p)
						}
						return nil
					})
				}
			})
		}
	}
}

// With ELMO_TELEMETRY_DEBUG, the signup is printed, not sent, and init
// says so instead of claiming a signup; with telemetry on or off.
func TestNewsletterDebugIsNotASignup(t *testing.T) {
	const email = "debug-signup@example.org"
	for _, telemetry := range []string{"true", "false"} {
		t.Run("telemetry="+telemetry, func(t *testing.T) {
			s := newSandbox(t)
			s.Extra["ELMO_TELEMETRY_DEBUG"] = "1"
			res := s.MustRun("init", "--yes", "--telemetry="+telemetry, "--email", email)
			if strings.Contains(res.Stdout, "Signed up") {
				t.Errorf("init claims a signup though nothing was sent:\n%s", res.Stdout)
			}
			if !strings.Contains(res.Stdout, "Did not sign up "+email) {
				t.Errorf("init does not say the signup was not sent:\n%s", res.Stdout)
			}
			if !strings.Contains(res.Stderr, `"newsletter_signup"`) {
				t.Errorf("the signup was not printed on stderr:\n%s", res.Stderr)
			}
			s.AssertNoRequests()
		})
	}
}
