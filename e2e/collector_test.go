package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/processors"
)

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// startCollector runs the built elmo-collector with collector/config.yaml
// as shipped, forwarding to the sandbox's capture server, and returns its
// OTLP endpoint once it accepts connections.
func (s *sandbox) startCollector(bin string) string {
	t := s.T
	t.Helper()
	addr := freeAddr(t)
	_, metricsPort, _ := net.SplitHostPort(freeAddr(t))
	config, err := filepath.Abs(filepath.Join("..", "collector", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"ELMO_COLLECTOR_ENDPOINT=" + addr,
		"ELMO_COLLECTOR_QUEUE_DIR=" + filepath.Join(t.TempDir(), "queue"),
		"ELMO_COLLECTOR_METRICS_PORT=" + metricsPort,
		"ELMO_POSTHOG_HOST=" + s.Server.URL,
		"ELMO_POSTHOG_KEY=" + testKey,
	}
	p := &process{name: "elmo-collector", out: newOutput(), done: make(chan struct{})}
	p.cmd = exec.Command(bin, "--config", config)
	p.cmd.Env = env
	p.cmd.Dir = t.TempDir()
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting elmo-collector: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })

	// The collector says nothing on a channel when it listens: try the
	// port until it answers or the process has exited.
	deadline := time.Now().Add(waitTimeout)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			return "http://" + addr
		}
		select {
		case <-p.done:
			t.Fatalf("elmo-collector exited: %v\n%s", p.err, p.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("elmo-collector did not listen on %s within %v:\n%s", addr, waitTimeout, p.out.String())
		}
	}
}

// The built elmo-collector, started with collector/config.yaml, receives
// OTLP from elmo and from the deployment's services and delivers their
// events to PostHog keyed by the install or deployment ID, with nothing
// outside the catalog. It needs the distribution built
// (scripts/build-collector) and named by ELMO_COLLECTOR_BIN; CI does not
// build it, and the collector module's own tests run the same
// configuration in process.
func TestBuiltCollectorGateway(t *testing.T) {
	bin := os.Getenv("ELMO_COLLECTOR_BIN")
	if bin == "" {
		t.Skip("ELMO_COLLECTOR_BIN is not set: build elmo-collector with scripts/build-collector and name it there")
	}
	requireDeployment(t)
	s := newSandbox(t)
	s.plantCanaries()
	s.WriteConfig(consentGiven)
	model := newModelServer(t)
	s.Extra["OPENAI_BASE_URL"] = model.URL + "/v1"
	s.MustRun("init", "--yes", "--provider", "openai")
	s.Events(1) // init's own event, sent straight to PostHog before the gateway is chosen
	direct := len(s.Server.Events())
	var deploymentID string
	for _, line := range strings.Split(s.EnvFile(), "\n") {
		if v, ok := strings.CutPrefix(line, "DEPLOYMENT_ID="); ok {
			deploymentID = v
		}
	}

	endpoint := s.startCollector(bin)
	otlp := map[string]string{
		"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
	}
	s.MustRunEnv(otlp, "version")
	st := s.startStack(otlp)
	brand := st.createBrand(canaryBrand)
	st.createPrompt(brand, canaryPrompt, target{Provider: "openai", Model: "openai/gpt-4o-mini"})
	st.waitProcessed(1)
	st.stop()

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	want := map[string]string{"cli_version": s.InstallID(), "prompt_processed": deploymentID, "prompt_runs": deploymentID, "brands_created": deploymentID}
	for {
		evs := s.Server.Events()[direct:]
		found := 0
		for name := range want {
			if len(posthogtest.Named(evs, name)) > 0 {
				found++
			}
		}
		if found == len(want) {
			break
		}
		if _, err := s.Server.WaitForEvents(ctx, len(s.Server.Events())+1); err != nil {
			t.Fatalf("through the gateway: %v; got %q", err, posthogtest.Names(evs))
		}
	}
	evs := s.Server.Events()[direct:]
	for _, e := range evs {
		if id, ok := want[e.Event]; ok && e.DistinctID != id {
			t.Errorf("%s has distinct_id %q, want %q", e.Event, e.DistinctID, id)
		}
		props := make(map[string]any, len(e.Properties))
		for k, v := range e.Properties {
			if k != "$lib" && k != "$lib_version" {
				props[k] = v
			}
		}
		if err := processors.DefaultPolicy().CheckEvent(e.Event, props); err != nil {
			t.Errorf("through the gateway: %v", err)
		}
	}
	input := strings.Join(append(s.Environ(), s.EnvFile(), canaryBrand, canaryPrompt), "\n")
	assertAbsent(t, "PostHog through the gateway", bodies(s.Server.Requests()), input,
		canaryHost, canaryUser, canaryEmail, canaryBrand, canaryPrompt)
}
