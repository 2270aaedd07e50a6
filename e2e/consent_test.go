package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// elmoStart runs `elmo start --dir dir` in the foreground, as a person
// would, with the sandbox's environment and extra, and returns the
// running deployment once the web app listens and the worker has
// started. Its stop sends elmo start the signal a terminal's Ctrl-C or a
// service manager would, and waits for it to exit cleanly.
func (s *sandbox) elmoStart(dir string, extra map[string]string) *stack {
	s.T.Helper()
	requireDeployment(s.T)
	run := map[string]string{
		"WEB_ADDR":                "127.0.0.1:0",
		"WORKER_INTERVAL":         "100ms",
		"PROVIDER_TIMEOUT":        "30s",
		"OTEL_BSP_SCHEDULE_DELAY": "100",
	}
	p := &process{name: "elmo start", out: newOutput(), done: make(chan struct{})}
	p.cmd = exec.Command(clitest.Elmo(), "start", "--dir", dir)
	p.cmd.Env = s.Environ(run, extra)
	p.cmd.Dir = s.repo
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		s.T.Fatalf("starting elmo start: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	s.T.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	out := p.out.waitFor(s.T, "elmo start", "elmo-web listening on http://", 1, p.done)
	m := listening.FindStringSubmatch(out)
	if m == nil {
		s.T.Fatalf("elmo start printed no address:\n%s", out)
	}
	p.out.waitFor(s.T, "elmo start", "elmo-worker started", 1, p.done)
	// Both services print through elmo start: it is the web app and the
	// worker at once, and stopping it stops both.
	return &stack{t: s.T, web: p, worker: p, url: m[1]}
}

// "`elmo start` applies that choice to the web app and the worker it runs,
// whatever the deployment's directory."
//
// That includes a deployment in another directory than the
// default: `elmo telemetry disable`, run as the page shows it (without
// --dir), edits only the default deployment's .env, and `elmo start
// --dir D` applies the recorded choice to the services it runs.
func TestPromise_DisableTurnsOffADeploymentInAnyDirectory(t *testing.T) {
	requireDeployment(t)
	s := newSandbox(t)
	elsewhere := filepath.Join(s.Home, "deployments", "second")
	s.MustRun("init", "--yes", "--dir", elsewhere)
	s.Events(1)
	model := newModelServer(t)
	provider := map[string]string{"OPENAI_API_KEY": canaryOpenAIKey, "OPENAI_BASE_URL": model.URL + "/v1"}
	use := func() {
		t.Helper()
		st := s.elmoStart(elsewhere, provider)
		brand := st.createBrand(canaryBrand)
		st.createPrompt(brand, canaryPrompt, target{"openai", "gpt-4o-mini"})
		st.waitProcessed(1)
		st.stop()
	}

	// Control: telemetry on, both services of that deployment send.
	n := len(s.Server.Events())
	use()
	evs := s.Server.Events()[n:]
	for _, service := range []string{"elmo-web", "elmo-worker"} {
		if len(byService(evs, service)) == 0 {
			t.Fatalf("control: no event from %s of the deployment in %s; events %s", service, elsewhere, posthogtest.Names(evs))
		}
	}

	res := s.MustRun("telemetry", "disable")
	if !strings.Contains(res.Stdout, "no .env in "+s.Dir) {
		t.Errorf("disable does not say that it changed no deployment's .env:\n%s", res.Stdout)
	}
	if env := readEnv(t, filepath.Join(elsewhere, ".env")); strings.Contains(env, "DISABLE_TELEMETRY") {
		t.Fatalf("control: disable without --dir edited the other deployment's .env:\n%s", env)
	}
	before := s.settle() // the control's elmo start sends after it exits
	use()
	s.assertNoRequestsSince(before, "the deployment in "+elsewhere+" after elmo telemetry disable")
}

// "Running `elmo init` again keeps an earlier choice: the question
// defaults to it, `--yes` keeps it, and only an answer or `--telemetry`
// changes it."
//
// Asked again, by a later elmo init, it keeps the answer given before:
// --yes keeps it and the question defaults to it. Only an answer or
// --telemetry changes it.
func TestPromise_ReinitKeepsTheChoice(t *testing.T) {
	s := newSandbox(t)
	s.MustRun("init", "--yes")
	s.Events(1)
	s.MustRun("telemetry", "disable")
	n := s.settle()

	s.MustRun("init", "--yes")
	if s.Config()["telemetryDisabled"] != true || envValue(s.EnvFile(), "DISABLE_TELEMETRY") != "1" {
		t.Fatalf("init --yes after disable: config.json %v, .env:\n%s\nwant telemetry still off for both", s.Config(), s.EnvFile())
	}
	status := s.MustRun("telemetry", "status").Stdout
	if !containsRow(status, "Telemetry:", "off") || !containsRow(status, "Decided by:", "config") {
		t.Errorf("status after init --yes does not show telemetry off by config:\n%s", status)
	}
	out := answerInit(t, s, "", "") // Enter: the default
	if !strings.Contains(out, "Share anonymous usage data? [y/N]") {
		t.Errorf("the question does not default to the earlier no:\n%s", out)
	}
	if s.Config()["telemetryDisabled"] != true || envValue(s.EnvFile(), "DISABLE_TELEMETRY") != "1" {
		t.Fatalf("init answered with Enter: config.json %v, .env:\n%s\nwant telemetry still off", s.Config(), s.EnvFile())
	}
	s.MustRun("version")
	s.assertNoRequestsSince(n, "the runs after disable")

	// Control: --telemetry changes it.
	s.MustRun("init", "--yes", "--telemetry=true")
	if evs := s.Events(n + 1); len(posthogtest.Named(evs, "cli_init")) < 2 {
		t.Errorf("control: init --telemetry=true sent no cli_init; events %s", posthogtest.Names(evs))
	}
	if strings.Contains(s.EnvFile(), "DISABLE_TELEMETRY") {
		t.Errorf("init --telemetry=true left the opt-out in .env:\n%s", s.EnvFile())
	}
}

// readEnv returns the content of the .env file at path.
func readEnv(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(data)
}
