package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// pathLike matches a value that holds an absolute or home-relative path.
var pathLike = regexp.MustCompile(`(^|[\s=:'"])(/|~/|[A-Za-z]:\\)[^\s]`)

// "No API keys, `.env` contents or other secrets."
func TestPromise_NeverAPIKeysEnvContentsOrSecrets(t *testing.T) {
	t.Run("session", func(t *testing.T) {
		sc := sharedScenario(t)
		// Control: the keys and the user's own line are in .env.
		for _, want := range []string{canaryOpenAIKey, canaryPlainKey, canaryEnvValue} {
			if !strings.Contains(sc.envFile, want) {
				t.Fatalf("control: .env lacks %q:\n%s", want, sc.envFile)
			}
		}
		assertAbsent(t, "telemetry", sc.body, sc.input,
			canaryOpenAIKey, canaryPlainKey, "canary-plain-key", "sk-canary", canaryEnvValue, "MY_SECRET", "OPENAI_API_KEY", "MISTRAL_API_KEY",
			"# my deployment")
		// No other line of .env either: every value init wrote.
		// Only the ID and the mode, which the page lists, may be sent.
		for _, line := range strings.Split(sc.envFile, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && len(v) >= 4 && k != "DEPLOYMENT_ID" && k != "DEPLOYMENT_MODE" && strings.Contains(string(sc.body), v) {
				t.Errorf("telemetry carries the .env value %q", v)
			}
		}
		sc.requireDeployment(t)
		// Control: the deployment really held the keys: it sent them to
		// the provider.
		if !strings.Contains(sc.provider, "Bearer "+canaryOpenAIKey) || !strings.Contains(sc.provider, "Bearer "+canaryPlainKey) {
			t.Fatalf("control: the provider never received the keys:\n%s", sc.provider)
		}
	})
	t.Run("database password", func(t *testing.T) {
		s := newSandbox(t)
		s.WriteConfig(consentGiven)
		url := "postgres://elmo:" + canaryDBPass + "@" + canaryHost + ":5432/elmo"
		s.MustRun("init", "--yes", "--database-url", url)
		s.Events(1)
		assertAbsent(t, "telemetry", bodies(s.Server.Requests()), s.EnvFile(), canaryDBPass, url)
	})
}

// "No brand names, prompt text or responses."
func TestPromise_NeverBrandNamesPromptTextOrResponses(t *testing.T) {
	sc := sharedScenario(t)
	sc.requireDeployment(t)
	// Control: the prompts went to the provider and its answers were
	// stored and are shown by the web app.
	if !strings.Contains(sc.provider, canaryPrompt) || !strings.Contains(sc.provider, canaryEdited) {
		t.Fatalf("control: the provider did not receive both prompt texts:\n%s", sc.provider)
	}
	if !strings.Contains(sc.responses, canaryResponse) {
		t.Fatalf("control: the web app shows no answer: %s", sc.responses)
	}
	assertAbsent(t, "telemetry", sc.body, sc.input,
		canaryBrand, "Acme", canaryPrompt, "canary-prompt", canaryEdited, "birdseed", canaryResponse, "canary-scraped-response")
}

// "No file paths, repository paths or hostnames."
func TestPromise_NeverFilePathsRepoPathsOrHostnames(t *testing.T) {
	sc := sharedScenario(t)
	needles := []string{
		sc.s.Home, sc.s.repo, sc.s.Dir, sc.s.ConfigPath(), sc.s.Root,
		canaryRepo, canaryUser, canaryHost, "/home/", ".config/elmo", ".elmo",
	}
	if host, err := os.Hostname(); err == nil && len(host) >= 6 {
		needles = append(needles, host)
	}
	if wd, err := os.Getwd(); err == nil {
		needles = append(needles, wd) // the repository the tests run in
		sc.input += "\n" + wd
	}
	assertAbsent(t, "telemetry", sc.body, sc.input, needles...)
	for _, e := range sc.events {
		for k, v := range e.Properties {
			if s, ok := v.(string); ok && pathLike.MatchString(s) {
				t.Errorf("%s %s = %q looks like a path", e.Event, k, s)
			}
		}
	}
}

// "No logs or stack traces."
func TestPromise_NeverLogsOrStackTraces(t *testing.T) {
	sc := sharedScenario(t)
	// What the programs logged, each line a canary: the CLI's errors, and
	// the deployment's request and provider-failure logs.
	logs := sc.cliStderr + "\n" + sc.logs
	needles := []string{"unknown flag: --bogus", "ANTHROPIC_API_KEY", "--help' for usage"}
	if sc.deployment {
		needles = append(needles, "provider run failed", "prompt processed", "level=", "HTTP 500", "elmo-web listening on")
	}
	assertAbsent(t, "telemetry", sc.body, logs, needles...)
	for _, trace := range []string{"goroutine ", ".go:", "panic", "exception", "stacktrace", "stack_trace", "$exception"} {
		if strings.Contains(strings.ToLower(string(sc.body)), trace) {
			t.Errorf("telemetry carries %q", trace)
		}
	}
	// Errors are reported as classes only.
	var failed int
	for _, e := range posthogtest.Named(sc.events, "provider_errors") {
		failed++
		if e.Properties["error_type"] != "server_error" {
			t.Errorf("provider_errors error_type = %v, want the class server_error", e.Properties["error_type"])
		}
	}
	if sc.deployment && failed == 0 {
		t.Errorf("control: no provider_errors event, so the failure path was not exercised")
	}
}
