package e2e

import (
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// signup returns the only newsletter_signup event, failing the test
// unless there is exactly one.
func signup(t *testing.T, evs []posthogtest.Event) posthogtest.Event {
	t.Helper()
	su := posthogtest.Named(evs, "newsletter_signup")
	if len(su) != 1 {
		t.Fatalf("got %d newsletter_signup events, want exactly 1; events %s", len(su), posthogtest.Names(evs))
	}
	return su[0]
}

// "If you ask for product updates during `elmo init` and give an email
// address, Elmo sends a `newsletter_signup` event with the email attached
// as a person property."
func TestPromise_NewsletterSignupRecordsEmailAsPersonProperty(t *testing.T) {
	s := newSandbox(t)
	answerInit(t, s, "y", canaryEmail)
	su := signup(t, s.Events(2))
	set, _ := su.Properties["$set"].(map[string]any)
	if set["email"] != canaryEmail {
		t.Errorf("newsletter_signup $set = %v, want email %s", su.Properties["$set"], canaryEmail)
	}
	if su.Properties["email"] != nil {
		t.Errorf("the email is an event property as well as a person property")
	}

	// Control of the "if": no email, no signup.
	c := newSandbox(t)
	answerInit(t, c, "y", "")
	c.MustRun("version")
	if evs := c.Events(2); len(posthogtest.Named(evs, "newsletter_signup")) != 0 {
		t.Errorf("init without an email sent a newsletter_signup")
	}
}

// "This is the only path that ever sends an email address."
//
// The machine is full of email addresses (the environment, git's
// configuration, .env); only the one typed for product updates leaves,
// and only in the signup.
func TestPromise_NewsletterOnlyPathThatSendsEmail(t *testing.T) {
	s := newSandbox(t)
	s.plantCanaries() // EMAIL and GIT_AUTHOR_EMAIL hold canaryEmail
	writeFile(t, s.Home+"/.gitconfig", "[user]\n\temail = "+canaryEmail+"\n")
	writeFile(t, s.repo+"/.git/config", "[user]\n\temail = "+canaryEmail+"\n")
	writeFile(t, s.EnvPath(), "ADMIN_EMAIL="+canaryEmail+"\n")
	const typed = "updates-only@example.org"
	s.MustRun("init", "--yes", "--email", typed)
	s.MustRun("version")
	s.MustRun("telemetry", "status")
	evs := s.Events(4)
	if requireDeploymentOK() {
		st := s.startStack(nil)
		st.createBrand(canaryBrand)
		st.stop()
		evs = s.Server.Events()
	}
	su := signup(t, evs)
	if set, _ := su.Properties["$set"].(map[string]any); set["email"] != typed {
		t.Errorf("the signup's email = %v, want the typed %s", su.Properties["$set"], typed)
	}
	for _, e := range evs {
		if e.Event != "newsletter_signup" && strings.Contains(string(e.Raw), "@") {
			t.Errorf("%s carries an email address: %s", e.Event, e.Raw)
		}
	}
	assertAbsent(t, "telemetry", bodies(s.Server.Requests()), strings.Join(s.Environ(), "\n")+s.EnvFile(), canaryEmail)
}

// requireDeploymentOK reports whether the deployment's binaries built.
func requireDeploymentOK() bool { return clitest.ServicesErr() == nil }

// "The signup is sent even if you have disabled telemetry, because typing
// your email is an explicit action with clear intent; it goes to the same
// PostHog project."
func TestPromise_NewsletterSentEvenWithTelemetryDisabled(t *testing.T) {
	for _, tt := range []struct {
		name   string
		config string
		env    map[string]string
		args   []string
	}{
		{"init says no", "", nil, []string{"init", "--yes", "--telemetry=false", "--email", canaryEmail}},
		{"disabled in config.json", `{"telemetryDisabled": true}`, nil, []string{"init", "--email", canaryEmail}},
		{"DISABLE_TELEMETRY=1", consentGiven, map[string]string{"DISABLE_TELEMETRY": "1"}, []string{"init", "--yes", "--email", canaryEmail}},
		{"DO_NOT_TRACK=1", consentGiven, map[string]string{"DO_NOT_TRACK": "1"}, []string{"init", "--yes", "--email", canaryEmail}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			if tt.config != "" {
				s.WriteConfig(tt.config)
			}
			s.Extra = tt.env
			// Control: telemetry is off here.
			s.MustRun("version")
			s.assertNoRequestsSince(0, "control: "+tt.name)

			s.MustRun(tt.args...)
			su := signup(t, s.Events(1))
			if set, _ := su.Properties["$set"].(map[string]any); set["email"] != canaryEmail {
				t.Errorf("newsletter_signup $set = %v", su.Properties["$set"])
			}
			// The same project: the same capture API and project key as
			// the telemetry events.
			for _, r := range s.Server.Requests() {
				if r.Path != "/batch/" || !strings.Contains(string(r.Body), `"api_key":"`+testKey+`"`) {
					t.Errorf("the signup went to %s without the project key: %.200s", r.Path, r.Body)
				}
			}
		})
	}
}

// "If telemetry is on, the event is keyed by your install ID, so the email
// links to the rest of your CLI events."
func TestPromise_NewsletterWithTelemetryOnKeyedByInstallID(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes", "--email", canaryEmail)
	s.MustRun("version")
	evs := s.Events(3)
	id := s.InstallID()
	if su := signup(t, evs); su.DistinctID != id || id == "" {
		t.Errorf("newsletter_signup distinct_id = %q, want the install ID %q", su.DistinctID, id)
	}
	for _, e := range evs {
		if e.DistinctID != id {
			t.Errorf("%s distinct_id = %q, want the install ID, like the signup", e.Event, e.DistinctID)
		}
	}
}

// "If telemetry is off, the event is keyed by the email itself and is
// never linked to your install ID."
func TestPromise_NewsletterWithTelemetryOffKeyedByEmailNotInstallID(t *testing.T) {
	s := newSandbox(t)
	// An earlier run with telemetry on created an install ID and sent it.
	s.MustRun("init", "--yes")
	id := s.InstallID()
	if evs := s.Events(1); id == "" || evs[0].DistinctID != id {
		t.Fatalf("control: the install ID %q was not sent while telemetry was on", id)
	}
	n := s.settle()

	s.MustRun("init", "--yes", "--telemetry=false", "--email", canaryEmail)
	evs := s.Events(2)
	su := signup(t, evs)
	if su.DistinctID != canaryEmail {
		t.Errorf("newsletter_signup distinct_id = %q, want the email", su.DistinctID)
	}
	s.settle() // whatever the init's sender might send too
	later := s.Server.Requests()[n:]
	deployment := envValue(s.EnvFile(), "DEPLOYMENT_ID")
	for _, r := range later {
		for _, link := range []string{id, deployment, "elmo.install.id", "$anon_distinct_id", "$alias"} {
			if strings.Contains(string(r.Body), link) {
				t.Errorf("the signup carries %q, which links it back: %s", link, r.Body)
			}
		}
	}
}

// "The newsletter signup is the one exception: if you enter your email
// during `elmo init`, that single event is sent whatever your telemetry
// setting."
func TestPromise_NewsletterIsTheOneExceptionSingleEvent(t *testing.T) {
	s := newSandbox(t)
	answerInit(t, s, "n", canaryEmail)
	s.MustRun("version")
	s.MustRun("telemetry", "status")
	evs := s.Events(1)
	if len(evs) != 1 || evs[0].Event != "newsletter_signup" {
		t.Errorf("events = %s, want only the newsletter_signup", posthogtest.Names(evs))
	}
	if n := s.settle(); n != 1 {
		t.Errorf("the server got %d requests, want the signup's one", n)
	}
	if requireDeploymentOK() {
		n := s.RequestCount()
		st := s.startStack(nil)
		st.createBrand(canaryBrand)
		st.stop()
		s.assertNoRequestsSince(n, "the deployment after init answered no with an email")
	}
}
