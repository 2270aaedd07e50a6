package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// useDeployment runs `elmo start --dir dir` in the foreground as a person
// would, with a healthy provider in the environment; creates a brand and
// a prompt through the web app, waits until the worker has run the
// prompt, and stops it with Ctrl-C. It returns what elmo start and the
// services printed. Both services have something to report: the web app a
// heartbeat and the brand, the worker the prompt run.
func useDeployment(t *testing.T, s *sandbox, dir string, extra map[string]string) string {
	t.Helper()
	prov := deploytest.NewProvider(200, "Acme sells the best anvils.")
	defer prov.Close()
	env := map[string]string{"OPENAI_API_KEY": "sk-consent-test-key", "OPENAI_BASE_URL": prov.URL}
	for k, v := range deploymentEnv {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	ctx, cancel := deploytest.Context()
	defer cancel()
	cmd := exec.CommandContext(ctx, clitest.Elmo(), "start", "--dir", dir)
	cmd.Env = s.Environ(env)
	// One writer for both streams: exec then writes whole lines of each
	// in turn. The services log to stderr.
	out := deploytest.NewLines()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Waiting ends early when elmo start exits: a service failed.
	wait, stopWaiting := deploytest.Context()
	defer stopWaiting()
	done := make(chan struct{})
	var exitErr error
	go func() {
		exitErr = cmd.Wait()
		close(done)
		stopWaiting()
	}()
	fail := func(err error) {
		t.Helper()
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v\noutput:\n%s", err, out)
	}
	line, err := out.WaitFor(wait, "elmo-web listening on http://")
	if err != nil {
		fail(err)
	}
	web := strings.TrimSpace(line[strings.Index(line, "http://"):])
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	var brand, prompt struct{ ID int64 }
	mustPost(t, hc, web+"/api/brands", map[string]string{"name": "Consent Canary Brand"}, &brand)
	mustPost(t, hc, web+"/api/prompts", map[string]any{"brand_id": brand.ID, "text": "Who sells the best anvils?",
		"targets": []map[string]string{{"provider": "openai", "model": "gpt-4o-mini"}}}, &prompt)
	if _, err := out.WaitFor(wait, "worker | ", `msg="prompt processed"`, "ok=1"); err != nil {
		fail(err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-done
	if exitErr != nil {
		t.Fatalf("elmo start ended with %v after Ctrl-C\noutput:\n%s", exitErr, out)
	}
	return out.String()
}

// servicesSent returns the services that events came from.
func servicesSent(evs []posthogtest.Event) map[string]bool {
	got := map[string]bool{}
	for _, e := range evs {
		if s, ok := e.Properties["service"].(string); ok {
			got[s] = true
		}
	}
	return got
}

// TestOneChoiceCoversEveryDeployment checks that elmo start applies the
// CLI's opt-out to the services it runs, whatever the deployment's
// directory: `elmo telemetry disable` run without --dir changes the .env
// of the default deployment only, yet a deployment set up with
// `elmo init --dir D` and started with `elmo start --dir D` sends nothing
// after it. The same holds for an opt-out variable in the shell and for
// a config.json that cannot be trusted. Each case first shows that the
// same deployment sends from both services, so the zero could fail.
func TestOneChoiceCoversEveryDeployment(t *testing.T) {
	tests := []struct {
		name string
		// optOut turns telemetry off for the CLI and returns the variables
		// the later runs get.
		optOut func(t *testing.T, s *sandbox) map[string]string
		// stderr is what elmo start says about the deployment's telemetry.
		stderr string
		// check, when set, checks more after the deployment ran.
		check func(t *testing.T, s *sandbox, output string)
	}{
		{"elmo telemetry disable without --dir", func(t *testing.T, s *sandbox) map[string]string {
			res := s.MustRun("telemetry", "disable")
			if !strings.Contains(res.Stdout, "deployment: no .env in "+s.Dir) {
				t.Errorf("disable does not say that %s holds no deployment:\n%s", s.Dir, res.Stdout)
			}
			return nil
		}, "telemetryDisabled is true in <config>", nil},
		{"OTEL_SDK_DISABLED=true in the shell", func(*testing.T, *sandbox) map[string]string {
			return map[string]string{"OTEL_SDK_DISABLED": "true"}
		}, "OTEL_SDK_DISABLED is set in the environment", nil},
		{"config.json with a duplicate key", func(t *testing.T, s *sandbox) map[string]string {
			id, _ := s.Config()["telemetryId"].(string)
			s.WriteConfig(`{"telemetryId": "` + id + `", "telemetryDisabled": true, "telemetryDisabled": false}`)
			return nil
		}, "<config> cannot be understood", func(t *testing.T, s *sandbox, output string) {
			// Fail closed with one warning, and leave the file alone.
			if n := strings.Count(output, "appears more than once"); n != 1 {
				t.Errorf("elmo start warned %d times about the duplicate key, want once:\n%s", n, output)
			}
			data, _ := os.ReadFile(s.ConfigPath())
			if !strings.Contains(string(data), `"telemetryDisabled": true, "telemetryDisabled": false}`) {
				t.Errorf("config.json was changed to:\n%s", data)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			other := filepath.Join(t.TempDir(), "other-deployment")
			s.MustRun("init", "--yes", "--dir", other)
			envBefore, err := os.ReadFile(filepath.Join(other, ".env"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(envBefore, []byte("DISABLE_TELEMETRY")) {
				t.Fatalf("control: init --yes wrote an opt-out:\n%s", envBefore)
			}

			// Control: telemetry on, the deployment sends from both services.
			useDeployment(t, s, other, nil)
			if got := servicesSent(s.Server.Events()); !got["elmo-web"] || !got["elmo-worker"] {
				t.Fatalf("control: events came from %v, want elmo-web and elmo-worker; events %s", got, posthogtest.Names(s.Server.Events()))
			}

			extra := tt.optOut(t, s)
			// What the CLI's runs so far send arrives after them.
			n, _ := settle(s)
			stderr := useDeployment(t, s, other, extra)
			settle(s)
			if reqs := s.Server.Requests()[n:]; len(reqs) != 0 {
				t.Errorf("after the opt-out the server got %d requests; events from %v", len(reqs), servicesSent(s.Server.Events()))
			}
			want := strings.ReplaceAll(tt.stderr, "<config>", s.ConfigPath())
			if !strings.Contains(stderr, "Telemetry is off for the deployment: "+want) {
				t.Errorf("elmo start does not say the deployment's telemetry is off because %q:\n%s", want, stderr)
			}
			if tt.check != nil {
				tt.check(t, s, stderr)
			}
			// The opt-out reached the services without changing their .env.
			if envAfter, _ := os.ReadFile(filepath.Join(other, ".env")); !bytes.Equal(envAfter, envBefore) {
				t.Errorf(".env of the other deployment changed:\n%s", envAfter)
			}
		})
	}
}

// TestDuplicateKeyFailsClosed shows that a config.json that says both
// "off" and "on" is not read as either: every command runs with
// telemetry off, warns once, and leaves the file as it is.
func TestDuplicateKeyFailsClosed(t *testing.T) {
	const content = `{"telemetryDisabled": true, "telemetryDisabled": false}`
	tests := []struct {
		args []string
		code int
		// lines is how many lines of stderr name the problem: the
		// warning, and for init, which cannot record a choice in such a
		// file, its error.
		lines int
	}{
		{[]string{"version"}, 0, 1},
		{[]string{"telemetry", "status"}, 0, 1},
		{[]string{"init", "--yes"}, 1, 2},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			s := newSandbox(t)
			s.WriteConfig(content)
			res := s.Run(tt.args...)
			if res.Code != tt.code {
				t.Errorf("exit code %d, want %d", res.Code, tt.code)
			}
			if n := strings.Count(res.Stderr, `key "telemetryDisabled" appears more than once`); n != tt.lines {
				t.Errorf("stderr names the duplicate key on %d lines, want %d:\n%s", n, tt.lines, res.Stderr)
			}
			if data, _ := os.ReadFile(s.ConfigPath()); string(data) != content {
				t.Errorf("config.json changed to %q", data)
			}
			s.AssertNoRequests()
		})
	}
}

// TestSymlinkedConfigStaysALink changes the choice through a config.json
// that is a link into a dotfiles directory, as the person keeps it.
func TestSymlinkedConfigStaysALink(t *testing.T) {
	s := newSandbox(t)
	target := filepath.Join(s.Home, "dotfiles", "elmo-config.json")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte(`{"telemetryDisabled": false, "theme": "dark"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(s.ConfigPath()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, s.ConfigPath()); err != nil {
		t.Fatal(err)
	}
	s.MustRun("telemetry", "disable")
	if fi, err := os.Lstat(s.ConfigPath()); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("config.json is no longer a link after disable: %v, %v", fi.Mode(), err)
	}
	var m map[string]any
	data, _ := os.ReadFile(target)
	if err := json.Unmarshal(data, &m); err != nil || m["telemetryDisabled"] != true || m["theme"] != "dark" {
		t.Errorf("the linked file holds %s, want telemetryDisabled true and theme kept", data)
	}
	s.MustRun("version")
	s.AssertNoRequests()
	// Control: enabled through the link, the CLI sends again.
	s.MustRun("telemetry", "enable")
	if evs := s.Events(1); len(posthogtest.Named(evs, "cli_telemetry_enable")) != 1 {
		t.Errorf("events = %s, want cli_telemetry_enable", posthogtest.Names(evs))
	}
}

// mustPost sends in to the web app and decodes its answer into out.
func mustPost(t *testing.T, hc *http.Client, url string, in, out any) {
	t.Helper()
	if err := deploytest.PostJSON(hc, url, in, out); err != nil {
		t.Fatal(err)
	}
}
