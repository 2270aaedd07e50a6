package e2e

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
)

// scenario is one user's full session, run once and shared by the tests
// that check what its telemetry holds: elmo init with two providers and
// a planted secret in .env, a few commands (one of them failing), then
// the local deployment, where a brand is created, a prompt added, edited
// and run on two providers (one of which fails) and a report run. Every
// identifying value the session can hold is a canary.
type scenario struct {
	complete bool

	s            *sandbox
	installID    string
	deploymentID string
	envFile      string // the deployment .env after init
	cliStderr    string // what the elmo runs printed on stderr
	deployment   bool   // whether the deployment part ran
	logs         string // what elmo-web and elmo-worker printed
	provider     string // what the model provider received
	responses    string // the answers the web app shows for the prompt

	reqs   []posthogtest.Request
	events []posthogtest.Event
	body   []byte // every request body
	input  string // every value the programs were given
}

// The targets of the scenario's prompt: the first answers, the second
// fails.
var (
	okTarget   = target{Provider: "openai", Model: "gpt-4o-mini"}
	failTarget = target{Provider: "mistral", Model: "mistral-small-latest"}
)

var shared struct {
	once  sync.Once
	owner string
	sc    *scenario
}

// sharedScenario returns the session, running it the first time. The
// test that runs it reports its failures; the others then fail with a
// pointer to it.
func sharedScenario(t *testing.T) *scenario {
	t.Helper()
	shared.once.Do(func() {
		shared.owner = t.Name()
		shared.sc = &scenario{}
		runScenario(t, shared.sc)
	})
	if !shared.sc.complete {
		t.Fatalf("the shared session failed; see %s", shared.owner)
	}
	return shared.sc
}

func runScenario(t *testing.T, sc *scenario) {
	s := newSandbox(t)
	sc.s = s
	s.plantCanaries()
	model := newModelServer(t)
	s.Extra["OPENAI_BASE_URL"] = model.URL + "/v1"
	s.Extra["MISTRAL_BASE_URL"] = model.URL + "/fail/v1"
	s.Extra["DEPLOYMENT_MODE"] = "whitelabel"
	// A deployment .env with a line of the user's own, which init keeps.
	writeFile(t, s.EnvPath(), "# my deployment\nMY_SECRET="+canaryEnvValue+"\n")

	var stderr strings.Builder
	runs := []struct {
		args []string
		code int
	}{
		{[]string{"init", "--yes", "--mode", "whitelabel", "--provider", "openai", "--provider", "mistral"}, 0},
		{[]string{"version"}, 0},
		{[]string{"telemetry", "status"}, 0},
		{[]string{"telemetry", "events"}, 0},
		{[]string{"version", "--bogus"}, 2},
		{[]string{"init", "--yes", "--provider", "anthropic"}, 2}, // no ANTHROPIC_API_KEY: fails at the providers step
	}
	for _, r := range runs {
		res := s.Run(r.args...)
		if res.Code != r.code {
			t.Fatalf("elmo %s: exit code %d, want %d\n%s", strings.Join(r.args, " "), res.Code, r.code, res.Stderr)
		}
		stderr.WriteString(res.Stderr)
	}
	sc.cliStderr = stderr.String()
	s.Events(len(runs))
	sc.installID = s.InstallID()
	sc.envFile = s.EnvFile()
	for _, line := range strings.Split(sc.envFile, "\n") {
		if v, ok := strings.CutPrefix(line, "DEPLOYMENT_ID="); ok {
			sc.deploymentID = v
		}
	}

	if clitest.ServicesErr() == nil {
		sc.deployment = true
		st := s.startStack(nil)
		brand := st.createBrand(canaryBrand)
		prompt := st.createPrompt(brand, canaryPrompt, okTarget, failTarget)
		st.waitProcessed(1)
		st.editPrompt(prompt, canaryEdited, okTarget, failTarget)
		st.runReport(brand)
		st.waitProcessed(2)
		sc.responses = st.responses(prompt)
		st.stop()
		sc.logs = st.logs()
		sc.provider = model.received()
	}

	s.WaitSenders() // the CLI's last events leave after it
	sc.reqs = s.Server.Requests()
	sc.events = s.Server.Events()
	sc.body = bodies(sc.reqs)
	host, _ := os.Hostname()
	sc.input = strings.Join(append(s.Environ(),
		sc.envFile, s.Home, s.repo, s.Dir, s.ConfigPath(), host,
		canaryBrand, canaryPrompt, canaryEdited, sc.responses, sc.provider), "\n")
	sc.complete = true
}

// cliEvents returns the events of the CLI.
func (sc *scenario) cliEvents() []posthogtest.Event {
	var out []posthogtest.Event
	for _, e := range sc.events {
		if strings.HasPrefix(e.Event, "cli_") {
			out = append(out, e)
		}
	}
	return out
}

// deploymentEvents returns the events of elmo-web and elmo-worker.
func (sc *scenario) deploymentEvents() []posthogtest.Event {
	var out []posthogtest.Event
	for _, e := range sc.events {
		if e.DistinctID == sc.deploymentID {
			out = append(out, e)
		}
	}
	return out
}

// requireDeployment skips a test, or the rest of it, when the session
// could not run the deployment.
func (sc *scenario) requireDeployment(t *testing.T) {
	t.Helper()
	if !sc.deployment {
		requireDeployment(t)
	}
}
