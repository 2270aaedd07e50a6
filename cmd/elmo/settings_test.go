package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
	"github.com/elmohq/telemetry/internal/testkit/otlptest"
)

// running is `elmo start` in the foreground, with its output and the
// services' output, which it prefixes, in one record.
type running struct {
	t   *testing.T
	cmd *exec.Cmd
	out *deploytest.Lines
	web string // the web app's base URL
	err error  // the exit error, once done is closed
	// done is closed when elmo start has exited.
	done chan struct{}
}

// runStart runs `elmo start` with the sandbox's environment and
// extra, and returns once the web app listens and the worker has started.
func runStart(t *testing.T, s *sandbox, extra map[string]string) *running {
	t.Helper()
	r := &running{t: t, out: deploytest.NewLines(), done: make(chan struct{})}
	r.cmd = exec.Command(clitest.Elmo(), "start")
	r.cmd.Env = s.Environ(extra)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	})
	ctx, cancel := r.untilExit()
	defer cancel()
	line, err := r.out.WaitFor(ctx, "elmo-web listening on http://")
	if err != nil {
		t.Fatalf("the web app never listened: %v\noutput:\n%s", err, r.out)
	}
	r.web = listening.FindStringSubmatch(line)[1]
	if _, err := r.out.WaitFor(ctx, "elmo-worker started"); err != nil {
		t.Fatalf("the worker never started: %v\noutput:\n%s", err, r.out)
	}
	return r
}

// untilExit returns a context that ends when elmo start exits, or after a
// generous safety bound.
func (r *running) untilExit() (context.Context, context.CancelFunc) {
	ctx, cancel := deploytest.Context()
	go func() {
		select {
		case <-r.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// stop sends elmo start Ctrl-C's signal and waits for it to exit cleanly.
func (r *running) stop() {
	r.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := deploytest.Context()
	defer cancel()
	select {
	case <-r.done:
	case <-ctx.Done():
		r.t.Fatalf("elmo start did not stop; output:\n%s", r.out)
	}
	if r.err != nil {
		r.t.Fatalf("elmo start: %v; output:\n%s", r.err, r.out)
	}
}

// programLines returns, for elmo start itself, the web app and the
// worker, how many of the output's lines contain every one of parts.
func programLines(out []string, parts ...string) map[string]int {
	n := map[string]int{"elmo": 0, "web": 0, "worker": 0}
	for _, line := range out {
		if !containsAll(line, parts) {
			continue
		}
		switch {
		case strings.HasPrefix(line, "web "):
			n["web"]++
		case strings.HasPrefix(line, "worker "):
			n["worker"]++
		default:
			n["elmo"]++
		}
	}
	return n
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// A telemetry setting never stops Elmo: with a value telemetry cannot use,
// elmo start runs the deployment, whose web app serves; each program says
// in one line of its output that telemetry is off, naming the variable,
// and nothing is sent, to PostHog or to the OTLP endpoint.
func TestStartServesWithAnUnusableTelemetrySetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, variable string
		env            map[string]string
	}{
		{"capture API", "ELMO_POSTHOG_CAPTURE", map[string]string{"ELMO_POSTHOG_CAPTURE": "v9"}},
		{"traces exporter", "OTEL_TRACES_EXPORTER", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}},
		{"negative OTLP timeout", "OTEL_EXPORTER_OTLP_TIMEOUT",
			map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TIMEOUT": "-1"}},
		{"OTLP timeout past a duration", "OTEL_EXPORTER_OTLP_TIMEOUT",
			map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TIMEOUT": "9223372036855"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			s.MustRun("init", "--yes")
			otlp := otlptest.NewServer()
			defer otlp.Close()
			extra := map[string]string{
				"WEB_ADDR":                    "127.0.0.1:0",
				"WORKER_INTERVAL":             "100ms",
				"OTEL_BSP_SCHEDULE_DELAY":     "100",
				"OTEL_METRIC_EXPORT_INTERVAL": "200",
				"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.URL,
			}
			for k, v := range tc.env {
				extra[k] = v
			}
			// What init sends arrives after it.
			before, _ := settle(s)
			r := runStart(t, s, extra)
			res, err := http.Get(r.web + "/healthz")
			if err != nil {
				t.Fatalf("GET /healthz: %v\noutput:\n%s", err, r.out)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET /healthz: %s", res.Status)
			}
			postBrand(t, r.web, "Canary Brand")
			r.stop()

			got := programLines(r.out.All(), tc.variable)
			for program, n := range got {
				if n != 1 {
					t.Errorf("%s names %s on %d lines, want 1; output:\n%s", program, tc.variable, n, r.out)
				}
			}
			if off := programLines(r.out.All(), "telemetry is off"); off["web"] != 1 || off["worker"] != 1 || off["elmo"] != 1 {
				t.Errorf("lines saying telemetry is off: %v, want one for each program; output:\n%s", off, r.out)
			}
			if n, _ := settle(s); n != before {
				t.Errorf("PostHog got %d requests with telemetry off; events %s", n-before, posthogtest.Names(s.Server.Events()))
			}
			if body := otlp.Body(); len(body) != 0 {
				t.Errorf("the OTLP endpoint got %d bytes with telemetry off", len(body))
			}
		})
	}
}

// refusedLine is how each program says it refused the interval.
var refusedLine = regexp.MustCompile(`OTEL_METRIC_EXPORT_INTERVAL.*abc.*refused|refused.*OTEL_METRIC_EXPORT_INTERVAL.*abc`)

// quietFor is how long a deployment with a refused interval is watched:
// longer than the SDK's own default of a minute, which it would fall back
// to, and far shorter than the hour that must be kept.
const quietFor = 75 * time.Second

// An OTEL_METRIC_EXPORT_INTERVAL that is not a number of milliseconds is
// refused, in one line of each program's output, and the hourly default
// is kept: through 75 seconds of activity no counter or gauge leaves the
// deployment, and at its stop they all do. The test runs beside the
// others: most of its time is spent watching.
func TestStartKeepsTheHourlyIntervalOverARefusedOne(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.MustRun("init", "--yes")
	r := runStart(t, s, map[string]string{
		"WEB_ADDR":                    "127.0.0.1:0",
		"WORKER_INTERVAL":             "100ms",
		"OTEL_BSP_SCHEDULE_DELAY":     "100",
		"OTEL_METRIC_EXPORT_INTERVAL": "abc",
	})
	metrics := map[string]bool{}
	for _, ev := range catalog.Events() {
		if ev.Kind == catalog.KindCounter || ev.Kind == catalog.KindGauge {
			metrics[ev.Name] = true
		}
	}
	metricEvents := func() []string {
		var names []string
		for _, ev := range s.Server.Events() {
			if metrics[ev.Event] {
				names = append(names, ev.Event)
			}
		}
		return names
	}

	// Activity throughout the watch: a brand every few seconds.
	created := 0
	watch := time.NewTimer(quietFor)
	defer watch.Stop()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for watching := true; watching; {
		postBrand(t, r.web, "Canary Brand")
		created++
		select {
		case <-tick.C:
		case <-watch.C:
			watching = false
		case <-r.done:
			t.Fatalf("elmo start exited: %v; output:\n%s", r.err, r.out)
		}
	}
	if names := metricEvents(); len(names) != 0 {
		t.Errorf("metrics were exported within %v: %v; the interval refused was not replaced by the hourly default", quietFor, names)
	}
	r.stop()

	if got := programLines(r.out.All(), "OTEL_METRIC_EXPORT_INTERVAL"); got["web"] != 1 || got["worker"] != 1 || got["elmo"] != 1 {
		t.Errorf("lines naming OTEL_METRIC_EXPORT_INTERVAL: %v, want one for each program; output:\n%s", got, r.out)
	}
	for _, line := range r.out.All() {
		if strings.Contains(line, "OTEL_METRIC_EXPORT_INTERVAL") && !refusedLine.MatchString(line) {
			t.Errorf("a line names OTEL_METRIC_EXPORT_INTERVAL without saying abc is refused: %s", line)
		}
	}
	// The control: the counts went at the stop, all of them.
	var sum float64
	for _, ev := range posthogtest.Named(s.Server.Events(), catalog.EventBrandsCreated) {
		v, _ := ev.Properties["value"].(float64)
		sum += v
	}
	if int(sum) != created {
		t.Errorf("brands_created sums to %v at the stop, want %d; metric events %v", sum, created, metricEvents())
	}
}

// With config.json where it cannot be written, `elmo telemetry disable`
// and `enable` say no success: one error, exit 1, nothing sent. Disabling
// still turns the deployment's telemetry off in its .env, and says so in
// that error; enabling changes nothing.
func TestSetTelemetryThatCannotBeRecordedSaysNoSuccess(t *testing.T) {
	for _, tc := range []struct {
		cmd, env string // the command, and the .env it leaves
	}{
		{"disable", "DEPLOYMENT_ID=0b0e8f3c-8a4e-4a53-9d84-7b1c1d9e2f10\nDISABLE_TELEMETRY=1\n"},
		{"enable", "DEPLOYMENT_ID=0b0e8f3c-8a4e-4a53-9d84-7b1c1d9e2f10\n"},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			s := newSandbox(t)
			s.WriteEnvFile("DEPLOYMENT_ID=0b0e8f3c-8a4e-4a53-9d84-7b1c1d9e2f10\n")
			// A file where config.json's directory should be: no write
			// can succeed, even for root.
			s.WriteFile(filepath.Dir(s.ConfigPath()), "not a directory")
			res := s.Run("telemetry", tc.cmd)
			if res.Code != 1 {
				t.Errorf("exit code %d, want 1", res.Code)
			}
			if res.Stdout != "" {
				t.Errorf("stdout %q, want nothing: the choice was not recorded", res.Stdout)
			}
			if n := strings.Count(res.Stderr, "\n"); n != 1 || !strings.Contains(res.Stderr, "config.json") {
				t.Errorf("stderr is not one error naming config.json:\n%s", res.Stderr)
			}
			if tc.cmd == "disable" && !strings.Contains(res.Stderr, "DISABLE_TELEMETRY=1") {
				t.Errorf("the error does not say the deployment's .env was changed:\n%s", res.Stderr)
			}
			if got := s.EnvFile(); got != tc.env {
				t.Errorf(".env is\n%s\nwant\n%s", got, tc.env)
			}
			if data, _ := os.ReadFile(filepath.Dir(s.ConfigPath())); string(data) != "not a directory" {
				t.Errorf("the file in config.json's way changed to %q", data)
			}
			s.AssertNoRequests()
		})
	}
}

// `elmo telemetry status` with a setting telemetry cannot use says so
// once on stderr, and shows it as the reason telemetry is off.
func TestStatusShowsAnUnusableSettingOnce(t *testing.T) {
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	s.Extra["OTEL_TRACES_EXPORTER"] = "zipkin"
	res := s.MustRun("telemetry", "status")
	if n := strings.Count(res.Stderr, "OTEL_TRACES_EXPORTER"); n != 1 || strings.Count(res.Stderr, "\n") != 1 {
		t.Errorf("stderr names OTEL_TRACES_EXPORTER %d times, want once on one line:\n%s", n, res.Stderr)
	}
	if !containsLine(res.Stdout, "Telemetry:", "off") || !containsLine(res.Stdout, "Decided by:", "error") ||
		!containsLine(res.Stdout, "Why:", "") || !strings.Contains(res.Stdout, `OTEL_TRACES_EXPORTER="zipkin"`) {
		t.Errorf("status does not show telemetry off for the setting:\n%s", res.Stdout)
	}
	if strings.Count(res.Stdout, "OTEL_TRACES_EXPORTER") != 1 {
		t.Errorf("status names the setting more than once:\n%s", res.Stdout)
	}
	st := status(t, s)
	if st.Enabled || st.Source != "error" || !strings.Contains(st.Reason, "OTEL_TRACES_EXPORTER") || st.Exporter != "off" {
		t.Errorf("status --json = %+v, want off, from error, naming OTEL_TRACES_EXPORTER", st)
	}
	s.AssertNoRequests()
}
