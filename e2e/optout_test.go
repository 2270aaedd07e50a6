package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// exercise starts the deployment, uses every feature that reports
// something (a brand, a prompt run by the worker on a provider, an edit, a
// report), stops it, and returns what the server received meanwhile.
func (s *sandbox) exercise(model *modelServer) []posthogtest.Request {
	s.T.Helper()
	before := s.settle()
	st := s.startStack(map[string]string{
		"OPENAI_API_KEY":  canaryOpenAIKey,
		"OPENAI_BASE_URL": model.URL + "/v1",
	})
	brand := st.createBrand(canaryBrand)
	prompt := st.createPrompt(brand, canaryPrompt, okTarget)
	st.waitProcessed(1)
	st.editPrompt(prompt, canaryEdited, okTarget)
	st.runReport(brand)
	st.stop()
	return s.Server.Requests()[before:]
}

// assertDeploymentSends checks that reqs hold events from both services.
func assertDeploymentSends(t *testing.T, s *sandbox, reqs []posthogtest.Request) {
	t.Helper()
	if len(reqs) == 0 {
		t.Fatalf("control: the deployment sent nothing with telemetry on")
	}
	evs := s.Server.Events()
	for _, service := range []string{"elmo-web", "elmo-worker"} {
		if len(byService(evs, service)) == 0 {
			t.Errorf("control: no event from %s with telemetry on; events %s", service, posthogtest.Names(evs))
		}
	}
}

// cliSends runs elmo version and checks that its event arrives.
func (s *sandbox) cliSends() {
	s.T.Helper()
	s.settle() // what earlier runs send is no answer of this one
	all := s.Server.Events()
	before := len(posthogtest.Named(all, "cli_version"))
	s.MustRun("version")
	evs := s.Events(len(all) + 1)
	if len(posthogtest.Named(evs, "cli_version")) != before+1 {
		s.T.Errorf("control: elmo version sent no cli_version; events %s", posthogtest.Names(evs))
	}
}

// "`elmo init` asks whether to share telemetry, and the choice covers both
// the CLI and your local deployment."
func TestPromise_InitAsksAndChoiceCoversCLIAndDeployment(t *testing.T) {
	s := newSandbox(t)
	out := answerInit(t, s, "n", "")
	if !strings.Contains(out, "Share anonymous usage data? [Y/n]") {
		t.Fatalf("init did not ask:\n%s", out)
	}
	if s.Config()["telemetryDisabled"] != true || envValue(s.EnvFile(), "DISABLE_TELEMETRY") != "1" {
		t.Fatalf("after answering no: config.json %v, .env:\n%s\nwant telemetryDisabled true and DISABLE_TELEMETRY=1", s.Config(), s.EnvFile())
	}
	s.MustRun("version")
	s.assertNoRequestsSince(0, "the CLI after answering no")
	if clitest.ServicesErr() == nil {
		model := newModelServer(t)
		if reqs := s.exercise(model); len(reqs) != 0 {
			t.Errorf("the deployment after answering no sent %d requests", len(reqs))
		}
	}

	// Control: the same machine answering yes shares from both.
	answerInit(t, s, "y", "")
	if s.Config()["telemetryDisabled"] != false || strings.Contains(s.EnvFile(), "DISABLE_TELEMETRY") {
		t.Fatalf("after answering yes: config.json %v, .env:\n%s", s.Config(), s.EnvFile())
	}
	if len(posthogtest.Named(s.Events(1), "cli_init")) != 1 {
		t.Errorf("control: the init answered yes sent no cli_init")
	}
	s.cliSends()
	requireDeployment(t)
	assertDeploymentSends(t, s, s.exercise(newModelServer(t)))
}

// "`elmo telemetry status` shows the current state and the install ID."
func TestPromise_StatusShowsStateAndInstallID(t *testing.T) {
	s := newSandbox(t)
	status := func(extra map[string]string) (text string, js map[string]any) {
		t.Helper()
		text = s.MustRunEnv(extra, "telemetry", "status").Stdout
		raw := s.MustRunEnv(extra, "telemetry", "status", "--json").Stdout
		if err := json.Unmarshal([]byte(raw), &js); err != nil {
			t.Fatalf("status --json: %v\n%s", err, raw)
		}
		return text, js
	}
	expect := func(text string, js map[string]any, on bool, source, id string) {
		t.Helper()
		state := map[bool]string{true: "on", false: "off"}[on]
		if !containsRow(text, "Telemetry:", state) || !containsRow(text, "Decided by:", source) {
			t.Errorf("status does not show telemetry %s decided by %s:\n%s", state, source, text)
		}
		if js["enabled"] != on || js["source"] != source {
			t.Errorf("status --json enabled %v source %v, want %v %s", js["enabled"], js["source"], on, source)
		}
		if id != "" && (!containsRow(text, "Install ID:", id) || js["installId"] != id) {
			t.Errorf("status does not show the install ID %s:\n%s", id, text)
		}
	}

	text, js := status(nil)
	expect(text, js, false, "not yet asked", "")
	if !containsRow(text, "Install ID:", "none") {
		t.Errorf("status on a fresh machine shows an install ID:\n%s", text)
	}

	s.MustRun("init", "--yes")
	id := s.InstallID()
	if id == "" {
		t.Fatal("init --yes recorded no install ID")
	}
	text, js = status(nil)
	expect(text, js, true, "config", id)

	s.MustRun("telemetry", "disable")
	text, js = status(nil)
	expect(text, js, false, "config", id)
	if !strings.Contains(text, "DISABLE_TELEMETRY is set in .env") {
		t.Errorf("status does not show the deployment is off:\n%s", text)
	}

	s.MustRun("telemetry", "enable")
	text, js = status(map[string]string{"DISABLE_TELEMETRY": "1"})
	expect(text, js, false, "env DISABLE_TELEMETRY", id)
}

// containsRow reports whether text has a line with label followed by
// value.
func containsRow(text, label, value string) bool {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), label); ok && strings.HasPrefix(strings.TrimSpace(rest), value) {
			return true
		}
	}
	return false
}

// "`elmo telemetry disable` turns off everything."
func TestPromise_DisableTurnsOffEverything(t *testing.T) {
	s := newSandbox(t)
	model := newModelServer(t)
	s.MustRun("init", "--yes")
	s.cliSends()
	if clitest.ServicesErr() == nil {
		assertDeploymentSends(t, s, s.exercise(model))
	}

	s.MustRun("telemetry", "disable")
	if s.Config()["telemetryDisabled"] != true || envValue(s.EnvFile(), "DISABLE_TELEMETRY") != "1" {
		t.Fatalf("after disable: config.json %v, .env:\n%s", s.Config(), s.EnvFile())
	}
	n := s.settle()
	for _, args := range [][]string{
		{"version"}, {"telemetry", "status"}, {"telemetry", "events"}, {"telemetry", "disable"}, {"version", "--bogus"},
	} {
		s.Run(args...)
	}
	s.assertNoRequestsSince(n, "the CLI after disable")
	requireDeployment(t)
	if reqs := s.exercise(model); len(reqs) != 0 {
		t.Errorf("the deployment after disable sent %d requests", len(reqs))
	}
}

// "`elmo telemetry disable` writes `telemetryDisabled: true` to
// `~/.config/elmo/config.json` (used by the CLI) and adds
// `DISABLE_TELEMETRY=1` to your deployment's `.env` (used by the web app
// and the worker)."
func TestPromise_DisableWritesConfigForCLIAndEnvForDeployment(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(`{"telemetryDisabled": false, "theme": "dark"}`)
	const env = "# my deployment\nDEPLOYMENT_ID=0b0e8f3c-8a4e-4a53-9d84-7b1c1d9e2f10\nWEB_PORT=3000\n"
	writeFile(t, s.EnvPath(), env)

	res := s.MustRun("telemetry", "disable")
	if cfg := s.Config(); cfg["telemetryDisabled"] != true || cfg["theme"] != "dark" {
		t.Errorf("config.json = %v, want telemetryDisabled true and the other keys kept", cfg)
	}
	if got := s.EnvFile(); !strings.HasPrefix(got, env) || strings.TrimPrefix(got, env) != "DISABLE_TELEMETRY=1\n" {
		t.Errorf(".env = %q, want %q plus DISABLE_TELEMETRY=1", got, env)
	}
	s.assertNoRequestsSince(0, "disable")
	if !strings.Contains(res.Stdout, "elmo start") {
		t.Errorf("disable does not say to restart the deployment:\n%s", res.Stdout)
	}

	// config.json is what the CLI reads: with it saying disabled and the
	// .env line gone, the CLI still sends nothing; with it saying enabled
	// and the .env line present, the CLI sends.
	writeFile(t, s.EnvPath(), env)
	s.MustRun("version")
	s.assertNoRequestsSince(0, "the CLI with telemetryDisabled true")
	s.WriteConfig(consentGiven)
	writeFile(t, s.EnvPath(), env+"DISABLE_TELEMETRY=1\n")
	s.cliSends()

	// .env is what the deployment reads: with DISABLE_TELEMETRY=1 it sends
	// nothing although config.json says enabled; without it, it sends
	// although config.json says disabled.
	requireDeployment(t)
	model := newModelServer(t)
	if reqs := s.exercise(model); len(reqs) != 0 {
		t.Errorf("the deployment with DISABLE_TELEMETRY=1 in .env sent %d requests", len(reqs))
	}
	s.WriteConfig(`{"telemetryDisabled": true}`)
	writeFile(t, s.EnvPath(), env)
	assertDeploymentSends(t, s, s.exercise(model))
}

// "`elmo telemetry enable` turns it back on."
func TestPromise_EnableTurnsBackOn(t *testing.T) {
	s := newSandbox(t)
	model := newModelServer(t)
	s.MustRun("init", "--yes", "--telemetry=false")
	s.MustRun("version")
	s.assertNoRequestsSince(0, "the CLI before enable")
	if clitest.ServicesErr() == nil {
		if reqs := s.exercise(model); len(reqs) != 0 {
			t.Fatalf("control: the deployment sent %d requests before enable", len(reqs))
		}
	}

	s.MustRun("telemetry", "enable")
	if s.Config()["telemetryDisabled"] != false || strings.Contains(s.EnvFile(), "DISABLE_TELEMETRY") {
		t.Fatalf("after enable: config.json %v, .env:\n%s", s.Config(), s.EnvFile())
	}
	if len(posthogtest.Named(s.Events(1), "cli_telemetry_enable")) != 1 {
		t.Errorf("enable sent no cli_telemetry_enable")
	}
	s.cliSends()
	requireDeployment(t)
	assertDeploymentSends(t, s, s.exercise(model))
}

// "A deployment that is running keeps the setting it started with: run
// `elmo start` again to apply the change."
//
// A deployment started before the change keeps the environment it was
// started with; started again, it applies the change.
func TestPromise_RestartAppliesDeploymentChange(t *testing.T) {
	requireDeployment(t)
	s := newSandbox(t)
	s.MustRun("init", "--yes")
	s.Events(1)
	running := s.startStack(nil) // sends deployment_heartbeat at start

	res := s.MustRun("telemetry", "disable")
	if !strings.Contains(res.Stdout, "Run 'elmo start' again") {
		t.Errorf("disable does not say to run elmo start again:\n%s", res.Stdout)
	}
	before := s.RequestCount()
	running.stop()
	// Control: the deployment started before the change still reported
	// (its heartbeat) when it stopped.
	if got := s.Server.Events(); len(posthogtest.Named(got, "deployment_heartbeat")) != 1 {
		t.Fatalf("control: the running deployment sent no heartbeat; events %s (requests before stop: %d)", posthogtest.Names(got), before)
	}
	n := s.settle()
	if reqs := s.exercise(newModelServer(t)); len(reqs) != 0 {
		t.Errorf("the restarted deployment sent %d requests after disable", len(reqs))
	}
	s.assertNoRequestsSince(n, "the restarted deployment")
}

// "Setting `DISABLE_TELEMETRY=1` in any environment disables telemetry
// there unconditionally."
func TestPromise_DisableTelemetryEnvDisablesUnconditionally(t *testing.T) {
	tests := []struct {
		value string
		off   bool
	}{
		{"1", true}, {"true", true}, {"TRUE", true}, {"yes", true}, {"on", true}, {" 1 ", true}, {"anything", true},
		{"0", false}, {"false", false}, {"No", false}, {"off", false}, {"", false},
	}
	for _, tt := range tests {
		t.Run("CLI DISABLE_TELEMETRY="+tt.value, func(t *testing.T) {
			s := newSandbox(t)
			s.WriteConfig(consentGiven) // the config says enabled
			s.Extra["DISABLE_TELEMETRY"] = tt.value
			s.MustRun("version")
			if !tt.off {
				s.Events(1)
				return
			}
			s.MustRun("telemetry", "enable") // cannot override it
			s.MustRun("version")
			s.assertNoRequestsSince(0, "DISABLE_TELEMETRY="+tt.value)
			if s.Config()["telemetryDisabled"] != false {
				t.Errorf("control: config.json = %v, want telemetry enabled", s.Config())
			}
		})
	}
	t.Run("deployment", func(t *testing.T) {
		requireDeployment(t)
		s := newSandbox(t)
		s.MustRun("init", "--yes")
		model := newModelServer(t)
		// init's event arrives after it.
		n := s.settle()
		st := s.startStack(map[string]string{"DISABLE_TELEMETRY": "1"}) // over a .env that enables
		st.createBrand(canaryBrand)
		st.stop()
		s.assertNoRequestsSince(n, "the deployment with DISABLE_TELEMETRY=1 in its environment")
		assertDeploymentSends(t, s, s.exercise(model)) // control: the same .env without the variable
	})
}

// "`DO_NOT_TRACK=1` and `OTEL_SDK_DISABLED=true` do the same."
//
// DO_NOT_TRACK, the cross-tool convention, and OTEL_SDK_DISABLED, the
// OpenTelemetry switch, are honoured everywhere DISABLE_TELEMETRY is.
func TestPromise_DoNotTrackAlsoRespected(t *testing.T) {
	for _, v := range []string{"DO_NOT_TRACK", "OTEL_SDK_DISABLED"} {
		t.Run(v, func(t *testing.T) {
			s := newSandbox(t)
			s.MustRun("init", "--yes")
			s.Events(1)
			n := s.settle()
			events := len(s.Server.Events())
			off := map[string]string{v: "true"}
			if v == "DO_NOT_TRACK" {
				off[v] = "1"
			}
			s.MustRunEnv(off, "version")
			s.MustRunEnv(off, "telemetry", "status")
			s.assertNoRequestsSince(n, "the CLI with "+v+"="+off[v])
			s.MustRunEnv(map[string]string{v: "0"}, "version")
			if len(posthogtest.Named(s.Events(events + 1)[events:], "cli_version")) != 1 {
				t.Errorf("control: %s=0 turned telemetry off", v)
			}
			requireDeployment(t)
			n = s.settle()
			st := s.startStack(off)
			st.createBrand(canaryBrand)
			st.stop()
			s.assertNoRequestsSince(n, "the deployment with "+v+"="+off[v])
		})
	}
}

// "When telemetry is disabled, no events are sent, not even those an
// earlier run could not deliver."
//
// Every command, in every disabled state, sends nothing, not even events
// that an earlier run could not deliver and kept for later.
func TestPromise_WhenDisabledNoEventsAreSent(t *testing.T) {
	commands := [][]string{
		{"version"}, {"telemetry", "status"}, {"telemetry", "status", "--json"}, {"telemetry", "events"},
		{"version", "--bogus"}, {"init", "--telemetry=false"}, {"telemetry", "disable"}, {"help"},
	}
	states := []struct {
		name   string
		config string
		env    map[string]string
	}{
		{"never asked", "", nil},
		{"disabled in config.json", `{"telemetryDisabled": true}`, nil},
		{"DISABLE_TELEMETRY=1", consentGiven, map[string]string{"DISABLE_TELEMETRY": "1"}},
		{"DO_NOT_TRACK=1", consentGiven, map[string]string{"DO_NOT_TRACK": "1"}},
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			s := newSandbox(t)
			if st.config != "" {
				s.WriteConfig(st.config)
			}
			s.Extra = st.env
			for _, args := range commands {
				s.Run(args...)
			}
			s.assertNoRequestsSince(0, st.name)
		})
	}
	t.Run("control: consent given", func(t *testing.T) {
		s := newSandbox(t)
		s.WriteConfig(consentGiven)
		for _, args := range commands[:5] {
			s.Run(args...)
		}
		s.Events(5)
	})
	t.Run("undelivered events of an earlier run", func(t *testing.T) {
		s := newSandbox(t)
		s.WriteConfig(consentGiven)
		s.Server.SetDefault(posthogtest.Respond(503))
		s.MustRun("version") // cannot deliver: keeps its event for later
		s.abandonSenders()
		s.Server.SetDefault(posthogtest.Accept())
		n := s.RequestCount()
		s.MustRunEnv(map[string]string{"DISABLE_TELEMETRY": "1"}, "version")
		s.MustRun("telemetry", "disable")
		s.MustRun("version")
		s.assertNoRequestsSince(n, "runs with telemetry disabled after an undelivered event")
		if len(s.Server.Events()) != 0 {
			t.Errorf("the undelivered event was sent after all: %s", posthogtest.Names(s.Server.Events()))
		}

		// Control: enabled, a later run sends the event kept for it.
		c := newSandbox(t)
		c.WriteConfig(consentGiven)
		c.Server.SetDefault(posthogtest.Respond(503))
		c.MustRun("version")
		c.abandonSenders()
		c.Server.SetDefault(posthogtest.Accept())
		c.MustRun("telemetry", "status")
		if evs := c.Events(2); len(posthogtest.Named(evs, "cli_version")) != 1 {
			t.Errorf("control: the kept event was never sent; events %s", posthogtest.Names(evs))
		}
	})
}
