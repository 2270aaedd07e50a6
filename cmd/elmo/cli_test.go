package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/otelsetup"
)

func TestUsageErrorsExit2(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"telemetry", "bogus"}, `unknown command "bogus"`},
		{[]string{"version", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"version", "extra"}, "extra"},
		{[]string{"telemetry", "status", "--json=maybe"}, "--json"},
		{[]string{"init", "--email", "not-an-email"}, "--email"},
		{[]string{"init", "--yes", "--email", "a@b"}, "not an email address"},
		{[]string{"init", "--port", "0"}, "--port"},
		{[]string{"init", "--provider", "nope"}, "--provider"},
		{[]string{"init", "--database-url", "mysql://x"}, "PostgreSQL"},
		{[]string{"init", "--telemetry=maybe"}, "--telemetry"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			s := newSandbox(t)
			res := s.Run(tt.args...)
			if res.Code != 2 {
				t.Errorf("exit code = %d, want 2\nstderr:\n%s", res.Code, res.Stderr)
			}
			if !strings.Contains(res.Stderr, tt.want) || !strings.Contains(res.Stderr, "--help' for usage") {
				t.Errorf("stderr does not explain the error (%q):\n%s", tt.want, res.Stderr)
			}
			if _, err := os.Stat(s.EnvPath()); err == nil {
				t.Errorf("a usage error wrote .env")
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	s := newSandbox(t)
	for _, args := range [][]string{{}, {"--help"}, {"help"}, {"init", "--help"}, {"help", "telemetry"}, {"telemetry"}} {
		res := s.Run(args...)
		if res.Code != 0 || !strings.Contains(res.Stdout, "Usage:") {
			t.Errorf("elmo %v: exit %d, stdout:\n%s", args, res.Code, res.Stdout)
		}
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		res := s.MustRun(args...)
		if !strings.HasPrefix(res.Stdout, "elmo ") {
			t.Errorf("elmo %v = %q", args, res.Stdout)
		}
	}
	res := s.MustRun("completion", "bash")
	if !strings.Contains(res.Stdout, "bash completion") {
		t.Errorf("completion bash printed no script")
	}
}

func TestCommandSpans(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	s.MustRun("telemetry", "status")
	s.MustRun("telemetry", "events")
	s.Run("version", "--bogus")
	s.Run("help")
	s.Run("completion", "bash")
	s.Events(3)
	// Any further event would come from the same senders: wait for them
	// before counting.
	settle(s)
	evs := s.Server.Events()
	want := map[string]float64{"cli_telemetry_status": 0, "cli_telemetry_events": 0, "cli_version": 2}
	if len(evs) != len(want) {
		t.Errorf("events = %s, want one per command run (help and completion send none)", posthogtest.Names(evs))
	}
	for _, e := range evs {
		code, ok := want[e.Event]
		if !ok {
			t.Errorf("unexpected event %s", e.Event)
			continue
		}
		if e.Properties["exit_code"] != code {
			t.Errorf("%s exit_code = %v, want %v", e.Event, e.Properties["exit_code"], code)
		}
		if e.Properties["success"] != (code == 0) {
			t.Errorf("%s success = %v, want %v", e.Event, e.Properties["success"], code == 0)
		}
	}
}

type statusJSON struct {
	Enabled     bool   `json:"enabled"`
	Source      string `json:"source"`
	Reason      string `json:"reason"`
	ConfigPath  string `json:"configPath"`
	InstallID   string `json:"installId"`
	Exporter    string `json:"exporter"`
	PostHogKey  bool   `json:"posthogKeyConfigured"`
	NoticeShown bool   `json:"noticeShown"`
	Deployment  struct {
		Dir              string `json:"dir"`
		EnvPath          string `json:"envPath"`
		Exists           bool   `json:"exists"`
		DeploymentID     string `json:"deploymentId"`
		TelemetryEnabled bool   `json:"telemetryEnabled"`
		DisabledBy       string `json:"disabledBy"`
		DisableTelemetry bool   `json:"disableTelemetry"`
	} `json:"deployment"`
	Spool struct {
		Path          string `json:"path"`
		Events        int    `json:"events"`
		Bytes         int64  `json:"bytes"`
		SenderRunning bool   `json:"senderRunning"`
		SenderPID     int    `json:"senderPid"`
	} `json:"spool"`
	Warnings []string `json:"warnings"`
	Page     string   `json:"page"`
}

func status(t *testing.T, s *sandbox) statusJSON {
	t.Helper()
	res := s.MustRun("telemetry", "status", "--json")
	var st statusJSON
	dec := json.NewDecoder(strings.NewReader(res.Stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, res.Stdout)
	}
	if st.Page != otelsetup.PageURL {
		t.Errorf("status --json page = %q, want %q", st.Page, otelsetup.PageURL)
	}
	return st
}

func TestStatusJSON(t *testing.T) {
	t.Run("fresh machine", func(t *testing.T) {
		s := newSandbox(t)
		st := status(t, s)
		if st.Enabled || st.Source != "not yet asked" || st.InstallID != "" || st.Deployment.Exists {
			t.Errorf("status = %+v, want off, not yet asked, no install ID, no deployment", st)
		}
		if st.ConfigPath != s.ConfigPath() || st.Deployment.Dir != s.Dir || !st.PostHogKey {
			t.Errorf("status = %+v, want config %s, dir %s, key configured", st, s.ConfigPath(), s.Dir)
		}
		if _, err := os.Stat(s.ConfigPath()); err == nil {
			t.Errorf("status created config.json")
		}
		if st.Spool.SenderRunning || st.Spool.SenderPID != 0 {
			t.Errorf("status spool = %+v, want no sender on a fresh machine", st.Spool)
		}
		s.AssertNoRequests()
	})
	t.Run("after init", func(t *testing.T) {
		s := newSandbox(t)
		s.MustRun("init", "--yes")
		st := status(t, s)
		if !st.Enabled || st.Source != "config" || st.InstallID == "" || st.InstallID != s.Config()["telemetryId"] {
			t.Errorf("status = %+v, want on by config with the install ID of config.json", st)
		}
		if !st.Deployment.Exists || st.Deployment.DeploymentID == "" || !st.Deployment.TelemetryEnabled || len(st.Warnings) != 0 {
			t.Errorf("status deployment = %+v, warnings %v", st.Deployment, st.Warnings)
		}
		if st.Exporter != "posthog" {
			t.Errorf("exporter = %q, want posthog", st.Exporter)
		}
	})
	t.Run("CLI off, deployment on", func(t *testing.T) {
		s := newSandbox(t)
		s.WriteConfig(`{"telemetryDisabled": true}`)
		s.WriteEnvFile("DEPLOYMENT_ID=x\n")
		st := status(t, s)
		if st.Enabled || len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "DISABLE_TELEMETRY=1") {
			t.Errorf("status = %+v, want a warning that the .env alone would send", st)
		}
		// elmo start applies the CLI's choice to the services it runs.
		if st.Deployment.TelemetryEnabled || st.Deployment.DisabledBy != "config" || st.Deployment.DisableTelemetry {
			t.Errorf("status deployment = %+v, want off by the CLI's config, .env without DISABLE_TELEMETRY", st.Deployment)
		}
		res := s.MustRun("telemetry", "status")
		if !containsLine(res.Stdout, "Telemetry:", "off when started with 'elmo start'") {
			t.Errorf("status text does not say elmo start runs the deployment with telemetry off:\n%s", res.Stdout)
		}
	})
	t.Run("CLI off by OTEL_SDK_DISABLED", func(t *testing.T) {
		s := newSandbox(t)
		s.WriteConfig(consentGiven)
		s.WriteEnvFile("DEPLOYMENT_ID=x\n")
		s.Extra["OTEL_SDK_DISABLED"] = "true"
		st := status(t, s)
		if st.Enabled || st.Source != "env OTEL_SDK_DISABLED" || st.Deployment.TelemetryEnabled || st.Deployment.DisabledBy != "env OTEL_SDK_DISABLED" {
			t.Errorf("status = %+v, want off by env OTEL_SDK_DISABLED for the CLI and the deployment", st)
		}
		text := s.MustRun("telemetry", "status").Stdout
		if !containsLine(text, "Decided by:", "env OTEL_SDK_DISABLED") {
			t.Errorf("status text does not say OTEL_SDK_DISABLED decided:\n%s", text)
		}
		s.AssertNoRequests()
	})
	t.Run("CLI on, deployment off", func(t *testing.T) {
		s := newSandbox(t)
		s.WriteConfig(consentGiven)
		s.WriteEnvFile("DEPLOYMENT_ID=x\nDISABLE_TELEMETRY=1\n")
		st := status(t, s)
		if !st.Enabled || !st.Deployment.DisableTelemetry || len(st.Warnings) != 1 {
			t.Errorf("status = %+v, want a warning that the deployment is off", st)
		}
		res := s.MustRun("telemetry", "status")
		if !strings.Contains(res.Stdout, "Warning:") || strings.Contains(res.Stdout, "phc_test") {
			t.Errorf("status text lacks the warning or shows the key:\n%s", res.Stdout)
		}
	})
}

func TestEventsCommandPrintsTheCatalog(t *testing.T) {
	s := newSandbox(t)
	res := s.MustRun("telemetry", "events", "--json")
	var got []struct {
		Name       string `json:"name"`
		Kind       string `json:"kind"`
		Properties []struct {
			Key string `json:"key"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &got); err != nil {
		t.Fatalf("events --json: %v\n%s", err, res.Stdout)
	}
	if strings.Contains(res.Stdout, `\u003c`) || !strings.Contains(res.Stdout, `"cli_<command>"`) {
		t.Errorf("events --json escapes < and >, or lacks cli_<command>:\n%s", res.Stdout)
	}
	cat := catalog.Events()
	if len(got) != len(cat) {
		t.Fatalf("events --json lists %d events, the catalog has %d", len(got), len(cat))
	}
	text := s.MustRun("telemetry", "events").Stdout
	for i, e := range cat {
		if got[i].Name != e.DisplayName() || got[i].Kind != e.Kind.String() || len(got[i].Properties) != len(e.Properties) {
			t.Errorf("event %d = %+v, want %s (%s) with %d properties", i, got[i], e.DisplayName(), e.Kind, len(e.Properties))
		}
		if !strings.Contains(text, e.DisplayName()) || !strings.Contains(text, e.Description) {
			t.Errorf("the table lacks %s or its description", e.DisplayName())
		}
		for _, p := range e.Properties {
			if !strings.Contains(text, e.DisplayName()+"."+string(p.Key)) {
				t.Errorf("the table lacks property %s.%s", e.DisplayName(), p.Key)
			}
		}
	}
}

// containsLine reports whether text has a line with label followed by
// value.
func containsLine(text, label, value string) bool {
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), label); ok && strings.HasPrefix(strings.TrimSpace(rest), value) {
			return true
		}
	}
	return false
}
