package otelsetup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
	"github.com/elmohq/telemetry/otelsetup"
	"github.com/elmohq/telemetry/processors"
	"github.com/elmohq/telemetry/resource"
)

// Canary values that must never leave the process.
const (
	canaryKey   = "canary_key"
	canaryValue = "/home/canary/secret.txt"
	canaryError = "failed reading /Users/canary/.env"
)

// env is a test environment: a config directory, variables, and a
// capture server.
type env struct {
	t          *testing.T
	dir        string
	configPath string
	spoolPath  string // the CLI's default spool, in the state directory
	vars       map[string]string
	server     *posthogtest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	srv := posthogtest.NewServer()
	t.Cleanup(srv.Close)
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	return &env{
		t:          t,
		dir:        dir,
		configPath: filepath.Join(dir, "elmo", "config.json"),
		spoolPath:  filepath.Join(dir, "state", "elmo", "telemetry-spool.jsonl"),
		vars: map[string]string{
			"ELMO_POSTHOG_HOST": srv.URL,
			"ELMO_POSTHOG_KEY":  "phc_test",
			"HOME":              filepath.Join(dir, "home"),
			"XDG_STATE_HOME":    filepath.Join(dir, "state"),
		},
		server: srv,
	}
}

// consentGiven records that the notice was shown, as an earlier run would.
func (e *env) consentGiven() *env {
	e.writeConfig(`{"telemetryNoticeVersion": 1}`)
	return e
}

func (e *env) writeConfig(content string) {
	e.t.Helper()
	if err := os.MkdirAll(filepath.Dir(e.configPath), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.configPath, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) start(opts ...otelsetup.Option) *otelsetup.Telemetry {
	e.t.Helper()
	tel, err := otelsetup.Start(context.Background(), append(e.options(), opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return tel
}

// options are the options of every run in e.
func (e *env) options() []otelsetup.Option {
	return []otelsetup.Option{
		otelsetup.WithConfigPath(e.configPath),
		otelsetup.WithGetenv(func(k string) string { return e.vars[k] }),
		otelsetup.WithStderr(io.Discard),
		otelsetup.WithTerminal(false),
		otelsetup.WithVersion("1.2.3"),
	}
}

// send runs the background sender in process, as a command's Shutdown
// would start it, and waits for it to return.
func (e *env) send(opts ...otelsetup.Option) {
	e.t.Helper()
	if err := otelsetup.RunSender(context.Background(), append(e.options(), opts...)...); err != nil {
		e.t.Fatal(err)
	}
}

// emit records one cataloged CLI span with an allowed attribute and every
// kind of thing the filter must remove.
func emit(name string) {
	_, span := otel.Tracer("test").Start(context.Background(), name,
		trace.WithAttributes(attribute.Int("exit_code", 0), attribute.String(canaryKey, "x"), attribute.String("exit_code_path", canaryValue)))
	span.RecordError(errors.New(canaryError))
	span.AddEvent("log line " + canaryValue)
	span.SetStatus(codes.Ok, canaryValue)
	span.End()
}

// snapshot lists every file under dir with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			files[p] = string(b)
		}
		return nil
	})
	return files
}

func TestOnSendsCatalogSpanWithCommonProperties(t *testing.T) {
	e := newEnv(t).consentGiven()
	tel := e.start()
	if !tel.Enabled() || tel.Exporter() != otelsetup.ExporterPostHog {
		t.Fatalf("telemetry is %v via %q, want on via posthog", tel.Decision(), tel.Exporter())
	}
	emit("cli_telemetry_status")
	emit("not_in_catalog")
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(e.server.Requests()); n != 0 {
		t.Fatalf("the command sent %d requests itself; it must leave delivery to the sender", n)
	}
	e.send()

	events := e.server.Events()
	if len(events) != 1 {
		t.Fatalf("got %d events, want 1: %+v", len(events), events)
	}
	ev := events[0]
	if ev.Event != "cli_telemetry_status" || ev.DistinctID != tel.InstallID() || tel.InstallID() == "" {
		t.Errorf("event %q keyed by %q, want cli_telemetry_status keyed by install ID %q", ev.Event, ev.DistinctID, tel.InstallID())
	}
	for key, want := range map[string]any{
		"version": "1.2.3", "service": "elmo-cli", "deployment_mode": "local", "exit_code": float64(0), "success": true,
	} {
		if ev.Properties[key] != want {
			t.Errorf("property %s = %v, want %v", key, ev.Properties[key], want)
		}
	}
	for _, key := range []string{"os", "arch", "runtime_version", "duration_ms"} {
		if _, ok := ev.Properties[key]; !ok {
			t.Errorf("property %s missing", key)
		}
	}
	assertNoCanary(t, e.server)
	stored, _ := os.ReadFile(e.configPath)
	if !strings.Contains(string(stored), tel.InstallID()) {
		t.Errorf("config.json does not hold the install ID: %s", stored)
	}
}

func assertNoCanary(t *testing.T, srv *posthogtest.Server) {
	t.Helper()
	for _, r := range srv.Requests() {
		for _, c := range []string{"canary", canaryKey} {
			if bytes.Contains(bytes.ToLower(r.Body), []byte(c)) {
				t.Errorf("request body carries %q: %s", c, r.Body)
			}
		}
	}
}

func TestOffSendsNothingAndWritesNothing(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(e *env)
		source consent.Source
	}{
		{"DISABLE_TELEMETRY", func(e *env) { e.consentGiven(); e.vars["DISABLE_TELEMETRY"] = "1" }, consent.SourceEnvDisableTelemetry},
		{"DO_NOT_TRACK", func(e *env) { e.consentGiven(); e.vars["DO_NOT_TRACK"] = "true" }, consent.SourceEnvDoNotTrack},
		{"config", func(e *env) { e.writeConfig(`{"telemetryDisabled": true, "telemetryNoticeVersion": 1}`) }, consent.SourceConfig},
		{"malformed config", func(e *env) { e.writeConfig(`{"telemetryDisabled": fal`) }, consent.SourceError},
		{"not yet asked", func(e *env) {}, consent.SourceNotYetAsked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.setup(e)
			before := snapshot(t, e.dir)
			ignore := goleak.IgnoreCurrent()

			tel := e.start()
			if tel.Enabled() || tel.Decision().Source != string(tt.source) {
				t.Fatalf("decision %v, want off by %q", tel.Decision(), tt.source)
			}
			// Nothing runs in the background while telemetry is off.
			if err := goleak.Find(ignore); err != nil {
				t.Errorf("telemetry off started goroutines: %v", err)
			}
			emit("cli_telemetry_status")
			if otel.GetTracerProvider().Tracer("x").Start(context.Background(), "cli_x"); false {
				t.Fatal("unreachable")
			}
			_, span := otel.Tracer("test").Start(context.Background(), "cli_init")
			if span.IsRecording() {
				t.Error("a span records while telemetry is off")
			}
			span.End()
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := len(e.server.Requests()); n != 0 {
				t.Errorf("the server got %d requests with telemetry off", n)
			}
			if after := snapshot(t, e.dir); !maps(before, after) {
				t.Errorf("files changed with telemetry off:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestFirstRunNoticeSendsNothingThenNextRunSends(t *testing.T) {
	e := newEnv(t)
	var stderr bytes.Buffer
	tel := e.start(otelsetup.WithTerminal(true), otelsetup.WithStderr(&stderr))
	if tel.Enabled() || !tel.NoticeShown() {
		t.Fatalf("first run: decision %v, notice shown %v; want off with the notice", tel.Decision(), tel.NoticeShown())
	}
	if !strings.Contains(stderr.String(), "elmo telemetry disable") {
		t.Errorf("the notice does not say how to turn telemetry off: %q", stderr.String())
	}
	emit("cli_version")
	_ = tel.Shutdown(context.Background())
	e.send()
	if n := len(e.server.Requests()); n != 0 {
		t.Fatalf("the run that showed the notice sent %d requests", n)
	}

	tel = e.start(otelsetup.WithTerminal(true), otelsetup.WithStderr(&stderr))
	if !tel.Enabled() || tel.NoticeShown() {
		t.Fatalf("second run: decision %v, notice shown %v; want on without a notice", tel.Decision(), tel.NoticeShown())
	}
	emit("cli_version")
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.send()
	if n := len(e.server.Events()); n != 1 {
		t.Fatalf("the second run sent %d events, want 1", n)
	}
}

func TestNonInteractiveFirstRunRecordsNothing(t *testing.T) {
	e := newEnv(t)
	var stderr bytes.Buffer
	tel := e.start(otelsetup.WithStderr(&stderr))
	_ = tel.Shutdown(context.Background())
	if tel.NoticeShown() || stderr.Len() != 0 {
		t.Errorf("a non-interactive run showed the notice: %q", stderr.String())
	}
	if _, err := os.Stat(e.configPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a non-interactive run wrote config.json: %v", err)
	}
}

func TestConsoleExporterPrintsFilteredSpanAndSendsNothing(t *testing.T) {
	e := newEnv(t).consentGiven()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		childEnv+"=console",
		"ELMO_TEST_CONFIG="+e.configPath,
		"XDG_STATE_HOME="+e.vars["XDG_STATE_HOME"],
		"ELMO_POSTHOG_HOST="+e.server.URL,
		"ELMO_POSTHOG_KEY=phc_test",
		"OTEL_TRACES_EXPORTER=console",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v: %s", err, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, `"cli_start"`) || !strings.Contains(out, "exit_code") {
		t.Errorf("the console output lacks the span: %s", out)
	}
	for _, banned := range []string{"canary", "not_in_catalog"} {
		if strings.Contains(strings.ToLower(out), banned) {
			t.Errorf("the console output carries %q: %s", banned, out)
		}
	}
	if n := len(e.server.Events()); n != 0 {
		t.Errorf("PostHog got %d events with the console exporter", n)
	}
}

// otlpReceiver is an OTLP/HTTP trace receiver on loopback.
type otlpReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	spans  []string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	rcv := &otlpReceiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rcv.mu.Lock()
		rcv.bodies = append(rcv.bodies, body)
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					rcv.spans = append(rcv.spans, s.Name)
				}
			}
		}
		rcv.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(rcv.Close)
	return rcv
}

func TestOTLPExporterDeliversFilteredSpan(t *testing.T) {
	e := newEnv(t).consentGiven()
	rcv := newOTLPReceiver(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL)
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=canary-host")
	tel := e.start()
	emit("cli_start")
	emit("not_in_catalog")
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if !slices.Equal(rcv.spans, []string{"cli_start"}) {
		t.Errorf("the OTLP receiver got spans %v, want [cli_start]", rcv.spans)
	}
	for _, b := range rcv.bodies {
		if bytes.Contains(bytes.ToLower(b), []byte("canary")) {
			t.Errorf("an OTLP request carries a canary: %q", b)
		}
	}
	if n := len(e.server.Events()); n != 0 {
		t.Errorf("PostHog got %d events with the OTLP exporter", n)
	}
}

func TestNoKeyMeansNoSending(t *testing.T) {
	e := newEnv(t).consentGiven()
	delete(e.vars, "ELMO_POSTHOG_KEY")
	tel := e.start()
	if tel.Exporter() != otelsetup.ExporterNoKey {
		t.Errorf("Exporter() = %q, want %q", tel.Exporter(), otelsetup.ExporterNoKey)
	}
	emit("cli_start")
	_ = tel.Shutdown(context.Background())
	if n := len(e.server.Requests()); n != 0 {
		t.Errorf("%d requests without a key", n)
	}
	if c, err := tel.NewPostHogClient(); c != nil || !errors.Is(err, otelsetup.ErrNoPostHogKey) {
		t.Errorf("NewPostHogClient without a key = %v, %v; want ErrNoPostHogKey", c, err)
	}
}

func TestDebugPrintsEventsAndSendsNothing(t *testing.T) {
	e := newEnv(t).consentGiven()
	e.vars["ELMO_TELEMETRY_DEBUG"] = "1"
	var stderr bytes.Buffer
	tel := e.start(otelsetup.WithStderr(&stderr))
	emit("cli_start")
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	line, _, _ := strings.Cut(stderr.String(), "\n")
	if err := json.Unmarshal([]byte(line), &ev); err != nil || ev["event"] != "cli_start" {
		t.Errorf("debug output %q is not the cli_start event (%v)", stderr.String(), err)
	}
	if n := len(e.server.Requests()); n != 0 {
		t.Errorf("debug mode sent %d requests", n)
	}
}

// TestNewPostHogClient checks the client for an event sent outside the
// pipeline, such as the newsletter signup: it sends to the configured
// host with the project key whether telemetry is on or off, keeps nothing
// in the spool or the telemetry log, and with ELMO_TELEMETRY_DEBUG prints
// the event and sends nothing.
func TestNewPostHogClient(t *testing.T) {
	for _, tt := range []struct {
		name, config string
		debug        bool
	}{
		{"telemetry on", `{"telemetryNoticeVersion": 1}`, false},
		{"telemetry off", `{"telemetryDisabled": true}`, false},
		{"debug", `{"telemetryNoticeVersion": 1}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.writeConfig(tt.config)
			if tt.debug {
				e.vars["ELMO_TELEMETRY_DEBUG"] = "1"
			}
			sentLog := filepath.Join(e.dir, "state", "elmo", "telemetry-log.jsonl")
			var stderr bytes.Buffer
			tel := e.start(otelsetup.WithStderr(&stderr), otelsetup.WithSentLog(sentLog))
			c, err := tel.NewPostHogClient()
			if err != nil {
				t.Fatal(err)
			}
			ev := exporter.Event{UUID: "0b6c1e8a-4f2d-4c3b-9a7e-5d1f2e3c4b5a", Event: "cli_version",
				DistinctID: "a@b.example", Timestamp: time.Now()}
			sendErr := c.Send(context.Background(), ev)
			// A second event that cannot be delivered is given back, never kept.
			e.server.SetDefault(posthogtest.Respond(503))
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			ev.UUID = "1c7d2f9b-5a3e-4d4c-8b8f-6e2a3f4d5c6b"
			if err := c.Send(ctx, ev); err == nil && !tt.debug {
				t.Error("Send of an event answered 503 returned nil")
			}
			_ = c.Shutdown(ctx)
			_ = tel.Shutdown(context.Background())
			reqs := e.server.Requests()
			if tt.debug {
				if sendErr != nil || len(reqs) != 0 || !strings.Contains(stderr.String(), `"a@b.example"`) {
					t.Errorf("debug: Send = %v, %d requests, stderr %q; want the event printed, nothing sent", sendErr, len(reqs), stderr.String())
				}
			} else if n := len(e.server.Events()); sendErr != nil || n != 1 || !bytes.Contains(reqs[0].Body, []byte("phc_test")) {
				t.Errorf("Send = %v, %d events; want the event delivered with the project key", sendErr, n)
			}
			for _, path := range []string{e.spoolPath, sentLog} {
				if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("a@b.example")) {
					t.Errorf("%s holds the event: %s", path, b)
				}
			}
		})
	}
}

// A command writes its events to the spool and never waits on the
// network, whatever the server does; the background sender leaves what a
// server that never answers did not take, and delivers each event once
// when it answers.
func TestCommandsSpoolAndTheSenderDeliversEachOnce(t *testing.T) {
	e := newEnv(t).consentGiven()
	e.server.SetDefault(posthogtest.Hang())
	for range 3 {
		tel := e.start()
		emit("cli_start")
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.server.Requests()); n != 0 {
		t.Fatalf("the commands sent %d requests themselves", n)
	}
	events, size, err := spool.Stats(e.spoolPath)
	if err != nil || events != 3 || size == 0 {
		t.Fatalf("spool holds %d events (%d bytes, %v), want 3", events, size, err)
	}
	spooled := spoolUUIDs(t, e.spoolPath)

	// A sender whose deadline passes while the server hangs keeps every
	// line.
	e.send(otelsetup.WithSenderDeadline(1500 * time.Millisecond))
	if got := spoolUUIDs(t, e.spoolPath); !slices.Equal(got, spooled) {
		t.Fatalf("after a sender against a hanging server the spool holds %v, want %v", got, spooled)
	}

	e.server.SetDefault(posthogtest.Accept())
	before := len(e.server.Events())
	e.send()
	got := deliveredUUIDs(e.server)
	if len(e.server.Events())-before != len(spooled) {
		t.Errorf("the sender delivered %d events, want the %d spooled", len(e.server.Events())-before, len(spooled))
	}
	for _, u := range spooled {
		if !slices.Contains(got, u) {
			t.Errorf("spooled event %s was not delivered", u)
		}
	}
	if _, err := os.Stat(e.spoolPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the spool is still there after delivery: %v", err)
	}
}

func spoolUUIDs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for line := range strings.Lines(string(data)) {
		var ev struct{ UUID string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.UUID)
	}
	slices.Sort(ids)
	return ids
}

func TestDeploymentRole(t *testing.T) {
	e := newEnv(t)
	e.vars["DEPLOYMENT_ID"] = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	tel := e.start(otelsetup.WithRole(otelsetup.RoleDeployment), otelsetup.WithServiceName("elmo-worker"))
	if !tel.Enabled() {
		t.Fatalf("deployment is off: %v", tel.Decision())
	}
	emit("prompt_processed")
	ctr, _ := otel.Meter("test").Int64Counter("prompt_runs")
	ctr.Add(context.Background(), 3, metricAttrs("openai", "ok")...)
	// A developer's mistake: prompt text and a path on a counter.
	ctr.Add(context.Background(), 2, metricWithAttributes(attribute.String("provider", "openai"), attribute.String("outcome", "ok"),
		attribute.String("model", "gpt-4o-mini"), attribute.String("prompt", "canary prompt text"), attribute.String("path", canaryValue)))
	ctr.Add(context.Background(), 1, metricWithAttributes(attribute.String("provider", "canary-provider"), attribute.String("outcome", "ok"),
		attribute.String("model", "gpt-4o-mini")))
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	byName := map[string]posthogtest.Event{}
	for _, ev := range e.server.Events() {
		byName[ev.Event] = ev
		if ev.DistinctID != e.vars["DEPLOYMENT_ID"] {
			t.Errorf("%s keyed by %q, want the deployment ID", ev.Event, ev.DistinctID)
		}
	}
	if _, ok := byName["prompt_processed"]; !ok {
		t.Error("prompt_processed did not arrive")
	}
	var openai, other float64
	for _, ev := range e.server.Events() {
		if ev.Event != "prompt_runs" {
			continue
		}
		switch ev.Properties["provider"] {
		case "openai":
			openai += ev.Properties["value"].(float64)
		case "other":
			other += ev.Properties["value"].(float64)
		}
	}
	if openai != 5 || other != 1 {
		t.Errorf("prompt_runs: openai %v, other %v; want 5 and 1", openai, other)
	}
	assertNoCanary(t, e.server)
}

func TestDeploymentWithoutIDSendsNothing(t *testing.T) {
	e := newEnv(t)
	tel := e.start(otelsetup.WithRole(otelsetup.RoleDeployment), otelsetup.WithServiceName("elmo-web"))
	if tel.Enabled() || tel.Decision().Source != string(consent.SourceError) || !strings.Contains(tel.Decision().Reason, "DEPLOYMENT_ID") {
		t.Fatalf("decision %v, want off naming DEPLOYMENT_ID", tel.Decision())
	}
	emit("deployment_heartbeat")
	_ = tel.Shutdown(context.Background())
	if n := len(e.server.Requests()); n != 0 {
		t.Errorf("%d requests without a deployment ID", n)
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string][]otelsetup.Option{
		"deployment without a name": {otelsetup.WithRole(otelsetup.RoleDeployment)},
		"negative budget":           {otelsetup.WithExitBudget(-time.Second)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := otelsetup.Start(context.Background(), append(opts, otelsetup.WithConfigPath(filepath.Join(t.TempDir(), "c.json")))...); err == nil {
				t.Error("Start accepted invalid options")
			}
		})
	}
}

func metricAttrs(provider, outcome string) []metricOption {
	return []metricOption{metricWithAttributes(attribute.String("provider", provider), attribute.String("outcome", outcome), attribute.String("model", "gpt-4o-mini"))}
}

func TestOffInstallsTheNoopProviders(t *testing.T) {
	e := newEnv(t)
	e.vars["DISABLE_TELEMETRY"] = "1"
	tel := e.start()
	defer func() { _ = tel.Shutdown(context.Background()) }()
	if _, ok := otel.GetTracerProvider().(tracenoop.TracerProvider); !ok {
		t.Errorf("tracer provider is %T, want the no-op one", otel.GetTracerProvider())
	}
	if _, ok := otel.GetMeterProvider().(metricnoop.MeterProvider); !ok {
		t.Errorf("meter provider is %T, want the no-op one", otel.GetMeterProvider())
	}
}

func TestWithPolicyAddsAnEvent(t *testing.T) {
	events := append(catalog.Events(), catalog.Event{
		Name: "feature_used", Kind: catalog.KindSpan, Source: catalog.SourceCLI,
		Description: "A feature was used.",
		Properties: []catalog.Property{{Key: "feature", Type: catalog.TypeString,
			Values: []string{"export"}, Description: "Which feature."}},
	})
	policy, err := processors.NewPolicy(events, processors.WithResourceAttributes(catalog.Resource()...))
	if err != nil {
		t.Fatal(err)
	}
	for _, custom := range []bool{false, true} {
		e := newEnv(t).consentGiven()
		var opts []otelsetup.Option
		if custom {
			opts = append(opts, otelsetup.WithPolicy(policy))
		}
		tel := e.start(opts...)
		_, span := otel.Tracer("test").Start(context.Background(), "feature_used",
			trace.WithAttributes(attribute.String("feature", "export")))
		span.End()
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.send(opts...)
		events := e.server.Events()
		switch {
		case custom && (len(events) != 1 || events[0].Properties["feature"] != "export"):
			t.Errorf("with the event in the policy, got %+v", events)
		case !custom && len(events) != 0:
			t.Errorf("with the default policy, an uncataloged span was sent: %+v", events)
		}
	}
}

func TestResourceKeysAgreeWithThePolicy(t *testing.T) {
	// The processors package spells the resource keys itself, so that it
	// does not depend on the resource package; they must stay the same.
	var policyKeys []string
	for _, p := range catalog.Resource() {
		policyKeys = append(policyKeys, string(p.Key))
	}
	var detectorKeys []string
	for _, k := range resource.AllowedKeys() {
		detectorKeys = append(detectorKeys, string(k))
	}
	slices.Sort(policyKeys)
	slices.Sort(detectorKeys)
	if !slices.Equal(policyKeys, detectorKeys) {
		t.Errorf("policy resource keys %v differ from the detector's %v", policyKeys, detectorKeys)
	}
}

func TestDebugWithTelemetryOffPrintsAndSendsNothing(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env)
	}{
		{"DISABLE_TELEMETRY", func(e *env) { e.vars["DISABLE_TELEMETRY"] = "1" }},
		{"not yet asked", func(e *env) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.setup(e)
			e.vars["ELMO_TELEMETRY_DEBUG"] = "1"
			t.Setenv("OTEL_TRACES_EXPORTER", "otlp") // ignored: it would send
			before := snapshot(t, e.dir)
			var stderr bytes.Buffer
			tel := e.start(otelsetup.WithStderr(&stderr))
			if tel.Enabled() {
				t.Fatalf("telemetry is on: %v", tel.Decision())
			}
			emit("cli_start")
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			var printed bool
			for line := range strings.Lines(stderr.String()) {
				var ev map[string]any
				if json.Unmarshal([]byte(line), &ev) == nil && ev["event"] == "cli_start" {
					printed = true
					if ev["distinct_id"] != "00000000-0000-4000-8000-000000000000" {
						t.Errorf("distinct_id %v, want the placeholder: no install ID exists", ev["distinct_id"])
					}
				}
			}
			if !printed {
				t.Errorf("the event was not printed: %q", stderr.String())
			}
			if !strings.Contains(stderr.String(), "OTEL_TRACES_EXPORTER is ignored") {
				t.Errorf("no word that OTEL_TRACES_EXPORTER was ignored: %q", stderr.String())
			}
			if n := len(e.server.Requests()); n != 0 {
				t.Errorf("%d requests with telemetry off", n)
			}
			if after := snapshot(t, e.dir); !maps(before, after) {
				t.Errorf("files changed with telemetry off:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// deliveredUUIDs returns the UUIDs of the events srv received, sorted.
func deliveredUUIDs(srv *posthogtest.Server) []string {
	var got []string
	for _, ev := range srv.Events() {
		got = append(got, ev.UUID)
	}
	slices.Sort(got)
	return got
}

// A background sender that cannot start (its program is gone, say, after
// an upgrade replaced it) costs the command nothing: Shutdown returns no
// error and prints nothing, and the events stay in the spool for the
// next command's sender.
func TestSenderThatCannotStartLeavesTheSpool(t *testing.T) {
	e := newEnv(t).consentGiven()
	var stderr bytes.Buffer
	tel := e.start(otelsetup.WithStderr(&stderr),
		otelsetup.WithSenderCommand(filepath.Join(e.dir, "gone", "elmo"), otelsetup.SenderArg))
	emit("cli_version")
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown = %v, want nil", err)
	}
	if stderr.Len() != 0 {
		t.Errorf("the command printed %q", stderr.String())
	}
	if events, _, err := spool.Stats(e.spoolPath); err != nil || events != 1 {
		t.Errorf("the spool holds %d events (%v), want the command's one", events, err)
	}
	if _, running := spool.SenderRunning(e.spoolPath); running {
		t.Error("a sender is recorded as running")
	}
	e.send()
	if n := len(e.server.Events()); n != 1 {
		t.Errorf("the next sender delivered %d events, want 1", n)
	}
}

// Shutdown starts the program of WithSenderCommand, with its arguments,
// once the command's events are in the spool; and none when the command
// had nothing to spool.
func TestShutdownStartsTheSender(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to stand in for the sender")
	}
	for _, tc := range []struct {
		name  string
		emit  bool
		start bool
	}{
		{"events", true, true},
		{"none", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t).consentGiven()
			marker := filepath.Join(e.dir, "sender-ran")
			tel := e.start(otelsetup.WithSenderCommand(sh, "-c", `echo "$0" > "$1"`, otelsetup.SenderArg, marker))
			if tc.emit {
				emit("cli_version")
			}
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !tc.start {
				if _, err := os.Stat(e.spoolPath); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a spool was written with no event: %v", err)
				}
				return
			}
			deadline := time.Now().Add(time.Minute)
			for {
				b, err := os.ReadFile(marker)
				if err == nil && strings.TrimSpace(string(b)) == otelsetup.SenderArg {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the sender did not run with its argument: %q, %v", b, err)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}
