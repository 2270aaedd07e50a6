package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/app/dotenv"
)

func TestInitYesWithEmail(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes", "--email", "a@b.example")

	env, err := dotenv.Parse([]byte(s.EnvFile()))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := env.Get("DEPLOYMENT_ID")
	if u, err := uuid.Parse(id); err != nil || u.Version() != 4 {
		t.Errorf("DEPLOYMENT_ID = %q, want a random UUID", id)
	}
	if _, ok := env.Get("DISABLE_TELEMETRY"); ok {
		t.Errorf(".env sets DISABLE_TELEMETRY after --yes:\n%s", s.EnvFile())
	}
	if fi, err := os.Stat(s.EnvPath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf(".env mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}

	cfg := s.Config()
	installID, _ := cfg["telemetryId"].(string)
	if _, err := uuid.Parse(installID); err != nil {
		t.Fatalf("config.json telemetryId = %q, want the install ID", installID)
	}
	if cfg["telemetryDisabled"] != false {
		t.Errorf("config.json telemetryDisabled = %v, want false", cfg["telemetryDisabled"])
	}

	evs := s.Events(2)
	inits := posthogtest.Named(evs, "cli_init")
	if len(inits) != 1 {
		t.Fatalf("got %d cli_init events, want 1; events %s", len(inits), posthogtest.Names(evs))
	}
	init := inits[0]
	if init.DistinctID != installID {
		t.Errorf("cli_init distinct_id = %q, want the install ID %q", init.DistinctID, installID)
	}
	for k, want := range map[string]any{
		"completed": true, "postgres_mode": "embedded", "exit_code": float64(0), "has_direct_api": false,
	} {
		if got := init.Properties[k]; got != want {
			t.Errorf("cli_init %s = %#v, want %#v", k, got, want)
		}
	}
	if _, ok := init.Properties["failed_step"]; ok {
		t.Errorf("cli_init has failed_step %v after a complete run", init.Properties["failed_step"])
	}

	signups := posthogtest.Named(evs, "newsletter_signup")
	if len(signups) != 1 {
		t.Fatalf("got %d newsletter_signup events, want exactly 1; events %s", len(signups), posthogtest.Names(evs))
	}
	su := signups[0]
	if su.DistinctID != installID {
		t.Errorf("newsletter_signup distinct_id = %q, want the install ID %q", su.DistinctID, installID)
	}
	set, _ := su.Properties["$set"].(map[string]any)
	if set["email"] != "a@b.example" {
		t.Errorf("newsletter_signup $set = %v, want email a@b.example", su.Properties["$set"])
	}
	// The email leaves only in the signup's $set.
	if bytes.Contains(init.Raw, []byte("a@b.example")) {
		t.Errorf("cli_init carries the email: %s", init.Raw)
	}
}

func TestInitTelemetryFalseWithEmail(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes", "--telemetry=false", "--email", "a@b.example")

	if got := s.Config()["telemetryDisabled"]; got != true {
		t.Errorf("config.json telemetryDisabled = %v, want true", got)
	}
	env, err := dotenv.Parse([]byte(s.EnvFile()))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := env.Get("DISABLE_TELEMETRY"); v != "1" {
		t.Errorf(".env DISABLE_TELEMETRY = %q, want 1:\n%s", v, s.EnvFile())
	}

	s.Events(1)
	settle(s)
	reqs := s.Server.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want exactly 1 (the signup); events %s", len(reqs), posthogtest.Names(s.Server.Events()))
	}
	evs := s.Server.Events()
	if len(evs) != 1 || evs[0].Event != "newsletter_signup" {
		t.Fatalf("events = %s, want only newsletter_signup", posthogtest.Names(evs))
	}
	if evs[0].DistinctID != "a@b.example" {
		t.Errorf("newsletter_signup distinct_id = %q, want the email", evs[0].DistinctID)
	}
	installID, _ := s.Config()["telemetryId"].(string)
	for _, r := range reqs {
		if installID != "" && bytes.Contains(r.Body, []byte(installID)) {
			t.Errorf("a request carries the install ID %s: %s", installID, r.Body)
		}
		if bytes.Contains(r.Body, []byte("elmo.install.id")) {
			t.Errorf("a request carries an install ID attribute: %s", r.Body)
		}
	}
}

func TestInitKeepsDeploymentIDAndUserLines(t *testing.T) {
	s := newSandbox(t)
	const id = "0b0e8f3c-8a4e-4a53-9d84-7b1c1d9e2f10"
	s.WriteEnvFile("# my deployment\nDEPLOYMENT_ID=" + id + "\nMY_SETTING=kept # a comment\n")
	s.MustRun("init", "--yes", "--telemetry=false", "--port", "4000")
	got := s.EnvFile()
	for _, want := range []string{"# my deployment\n", "DEPLOYMENT_ID=" + id + "\n", "MY_SETTING=kept # a comment\n", "WEB_PORT=4000\n", "DISABLE_TELEMETRY=1\n", "DEPLOYMENT_MODE=local\n"} {
		if !strings.Contains(got, want) {
			t.Errorf(".env lacks %q:\n%s", want, got)
		}
	}
	// Saying yes later removes the opt-out again; --yes alone keeps it.
	s.MustRun("init", "--yes")
	if !strings.Contains(s.EnvFile(), "DISABLE_TELEMETRY=1") {
		t.Errorf("init --yes dropped the earlier opt-out:\n%s", s.EnvFile())
	}
	s.MustRun("init", "--yes", "--telemetry=true")
	if strings.Contains(s.EnvFile(), "DISABLE_TELEMETRY") {
		t.Errorf(".env still sets DISABLE_TELEMETRY after init --telemetry=true:\n%s", s.EnvFile())
	}
}

func TestInitWithoutTerminalFailsClosed(t *testing.T) {
	s := newSandbox(t)
	res := s.MustRun("init")
	if !strings.Contains(res.Stdout, "telemetry stays off") {
		t.Errorf("init without a terminal does not say telemetry stays off:\n%s", res.Stdout)
	}
	if got := s.Config()["telemetryDisabled"]; got != true {
		t.Errorf("config.json telemetryDisabled = %v, want true", got)
	}
	if !strings.Contains(s.EnvFile(), "DISABLE_TELEMETRY=1") {
		t.Errorf(".env lacks DISABLE_TELEMETRY=1:\n%s", s.EnvFile())
	}
	s.MustRun("version")
	s.AssertNoRequests()

	// --yes keeps the choice recorded then; only --telemetry changes it.
	s.MustRun("init", "--yes")
	s.AssertNoRequests()
	// Positive control: the same run with --telemetry=true sends.
	s.MustRun("init", "--yes", "--telemetry=true")
	if evs := s.Events(1); len(posthogtest.Named(evs, "cli_init")) != 1 {
		t.Errorf("events = %s, want cli_init", posthogtest.Names(evs))
	}
}

func TestInitProviders(t *testing.T) {
	s := newSandbox(t)
	s.Extra["OPENAI_API_KEY"] = "sk-test-not-a-real-key"
	s.Extra["OPENROUTER_API_KEY"] = "sk-or-test"
	s.WriteConfig(consentGiven)
	s.MustRun("init", "--yes", "--provider", "openai", "--provider", "openrouter",
		"--database-url", "postgres://elmo:secret@db.internal:5432/elmo")
	env := s.EnvFile()
	for _, want := range []string{"OPENAI_API_KEY=sk-test-not-a-real-key\n", "OPENROUTER_API_KEY=sk-or-test\n", "DATABASE_URL=postgres://elmo:secret@db.internal:5432/elmo\n"} {
		if !strings.Contains(env, want) {
			t.Errorf(".env lacks %q:\n%s", want, env)
		}
	}
	evs := s.Events(1)
	init := posthogtest.Named(evs, "cli_init")
	if len(init) != 1 {
		t.Fatalf("events = %s, want one cli_init", posthogtest.Names(evs))
	}
	p := init[0].Properties
	if p["postgres_mode"] != "external" || p["has_direct_api"] != true {
		t.Errorf("cli_init postgres_mode = %v, has_direct_api = %v; want external, true", p["postgres_mode"], p["has_direct_api"])
	}
	if got, _ := p["providers"].([]any); len(got) != 2 || got[0] != "openai" || got[1] != "openrouter" {
		t.Errorf("cli_init providers = %v, want [openai openrouter]", p["providers"])
	}
	for _, r := range s.Server.Requests() {
		for _, secret := range []string{"sk-test-not-a-real-key", "sk-or-test", "secret@db.internal", "db.internal"} {
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Errorf("a request carries %q: %s", secret, r.Body)
			}
		}
	}
}

// A provider that needs no key, such as Ollama, is set up with its base
// URL: the usual address by default, the one in the environment when set.
func TestInitKeylessProvider(t *testing.T) {
	for _, tc := range []struct {
		name, url, want string
	}{
		{"default address", "", "OLLAMA_BASE_URL=http://127.0.0.1:11434/v1\n"},
		{"address from the environment", "http://10.0.0.5:11434/v1", "OLLAMA_BASE_URL=http://10.0.0.5:11434/v1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			s.Extra["OLLAMA_BASE_URL"] = tc.url
			res := s.MustRun("init", "--yes", "--telemetry=false", "--provider", "ollama")
			if env := s.EnvFile(); !strings.Contains(env, tc.want) || strings.Contains(env, "OLLAMA_API_KEY") {
				t.Errorf(".env lacks %q or has a key:\n%s", tc.want, env)
			}
			if !containsLine(res.Stdout, "Providers:", "ollama") {
				t.Errorf("the summary does not list ollama:\n%s", res.Stdout)
			}
		})
	}
}

func TestInitReportsTheStepThatFailed(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	res := s.Run("init", "--yes", "--provider", "anthropic")
	if res.Code != 2 {
		t.Fatalf("exit code = %d, want 2 (no key and nothing to ask on)\n%s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "ANTHROPIC_API_KEY") {
		t.Errorf("the error does not name the variable to set:\n%s", res.Stderr)
	}
	if _, err := os.Stat(s.EnvPath()); err == nil {
		t.Errorf("a failed init wrote .env:\n%s", s.EnvFile())
	}
	evs := s.Events(1)
	init := posthogtest.Named(evs, "cli_init")
	if len(init) != 1 {
		t.Fatalf("events = %s, want one cli_init", posthogtest.Names(evs))
	}
	p := init[0].Properties
	if p["completed"] != false || p["failed_step"] != "providers" || p["exit_code"] != float64(2) || p["success"] != false {
		t.Errorf("cli_init completed=%v failed_step=%v exit_code=%v success=%v; want false, providers, 2, false",
			p["completed"], p["failed_step"], p["exit_code"], p["success"])
	}
}

// TestReinitKeepsTheEarlierChoice runs elmo init again after a choice was
// made: --yes keeps it, for the CLI and the deployment, and only
// --telemetry changes it.
func TestReinitKeepsTheEarlierChoice(t *testing.T) {
	tests := []struct {
		name   string
		before [][]string // runs that make the earlier choice
		envIn  string     // a .env to start from, "" for none
		reinit []string
		on     bool
		says   string // in the re-init's output
	}{
		{"disable, then init --yes", [][]string{{"init", "--yes"}, {"telemetry", "disable"}}, "", []string{"init", "--yes"}, false,
			"Telemetry stays off, as chosen before (telemetryDisabled is true in <config>); --telemetry=true changes it."},
		{"init --telemetry=false, then init --yes", [][]string{{"init", "--yes", "--telemetry=false"}}, "", []string{"init", "--yes"}, false,
			"Telemetry stays off, as chosen before"},
		{"disable without a deployment, then init --yes", [][]string{{"telemetry", "disable"}}, "", []string{"init", "--yes"}, false,
			"Telemetry stays off, as chosen before"},
		{"an opt-out in .env and no choice in config.json", nil, "DEPLOYMENT_ID=0b0e8f3c-8a4e-4a53-9d84-7b1c1d9e2f10\nDISABLE_TELEMETRY=1\n", []string{"init", "--yes"}, false,
			"Telemetry stays off, as chosen before (DISABLE_TELEMETRY is set in <env>)"},
		{"disable, then init --yes --telemetry=true", [][]string{{"init", "--yes"}, {"telemetry", "disable"}}, "", []string{"init", "--yes", "--telemetry=true"}, true, ""},
		{"disable, then enable, then init --yes", [][]string{{"init", "--yes"}, {"telemetry", "disable"}, {"telemetry", "enable"}}, "", []string{"init", "--yes"}, true,
			"Telemetry stays on, as chosen before (telemetryDisabled is false in <config>); --telemetry=false changes it."},
		{"first init --yes", nil, "", []string{"init", "--yes"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			if tt.envIn != "" {
				s.WriteEnvFile(tt.envIn)
			}
			for _, args := range tt.before {
				s.MustRun(args...)
			}
			// What the earlier runs send arrives after them.
			n, nEvents := settle(s)
			res := s.MustRun(tt.reinit...)
			says := strings.NewReplacer("<config>", s.ConfigPath(), "<env>", s.EnvPath()).Replace(tt.says)
			if !strings.Contains(res.Stdout, says) {
				t.Errorf("init does not say %q:\n%s", says, res.Stdout)
			}
			if got := s.Config()["telemetryDisabled"]; got != !tt.on {
				t.Errorf("config.json telemetryDisabled = %v, want %v", got, !tt.on)
			}
			if got := strings.Contains(s.EnvFile(), "DISABLE_TELEMETRY=1"); got == tt.on {
				t.Errorf(".env sets DISABLE_TELEMETRY=1: %v, want %v:\n%s", got, !tt.on, s.EnvFile())
			}
			st := status(t, s)
			if st.Enabled != tt.on || st.Source != "config" || st.Deployment.TelemetryEnabled != tt.on {
				t.Errorf("status = on %v by %s, deployment on %v; want %v by config for both", st.Enabled, st.Source, st.Deployment.TelemetryEnabled, tt.on)
			}
			settle(s)
			if tt.on {
				if evs := s.Server.Events()[nEvents:]; len(posthogtest.Named(evs, "cli_init")) == 0 {
					t.Errorf("control: the re-init with telemetry on sent no cli_init; events %s", posthogtest.Names(evs))
				}
			} else if reqs := s.Server.Requests()[n:]; len(reqs) != 0 {
				t.Errorf("the re-init sent %d requests with telemetry kept off", len(reqs))
			}
		})
	}
}
