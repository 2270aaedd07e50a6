package components_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/otelcol"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/elmohq/telemetry/collector/components"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// testTimeout bounds every wait of these tests; none of them waits for it
// when the code works.
const testTimeout = 30 * time.Second

// testKey is the PostHog project key of the tests.
const testKey = "phc_collectortest"

func waitCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// gateway is an elmo-collector running in this process, from the
// distribution's own config.yaml and factories.
type gateway struct {
	// Endpoint is the OTLP/HTTP endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT
	// takes it.
	Endpoint string
	// QueueDir is where its sending queue is kept.
	QueueDir string
	// MetricsURL serves the Collector's own metrics, Prometheus format.
	MetricsURL string

	col  *otelcol.Collector
	done chan error
}

// startGateway runs collector/config.yaml with the variables a user sets:
// the PostHog host and key, the OTLP endpoint, the queue directory (a new
// one unless queueDir is given) and a port of its own for its metrics.
func startGateway(t testing.TB, srv *posthogtest.Server, queueDir string, extra ...string) *gateway {
	t.Helper()
	if queueDir == "" {
		queueDir = filepath.Join(t.TempDir(), "queue")
	}
	addr := freeAddr(t)
	_, metricsPort, _ := net.SplitHostPort(freeAddr(t))
	env := map[string]string{
		"ELMO_COLLECTOR_ENDPOINT":     addr,
		"ELMO_COLLECTOR_QUEUE_DIR":    queueDir,
		"ELMO_COLLECTOR_METRICS_PORT": metricsPort,
		"ELMO_POSTHOG_HOST":           srv.URL,
		"ELMO_POSTHOG_KEY":            testKey,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: components.BuildInfo,
		Factories: components.Factories,
		// Warnings and errors only: the outage test's are the ones to read.
		LoggingOptions: []zap.Option{zap.IncreaseLevel(zapcore.WarnLevel)},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs:              []string{filepath.Join("..", "config.yaml")},
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
			},
		},
	})
	if err != nil {
		t.Fatalf("creating the collector: %v", err)
	}
	g := &gateway{
		Endpoint:   "http://" + addr,
		QueueDir:   queueDir,
		MetricsURL: "http://127.0.0.1:" + metricsPort + "/metrics",
		col:        col,
		done:       make(chan error, 1),
	}
	go func() { g.done <- col.Run(context.Background()) }()
	t.Cleanup(func() { g.Stop(t) })

	// The collector reports its state, not a change of it: look until it
	// runs, or until Run has returned with the reason it could not.
	ctx := waitCtx(t)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for col.GetState() != otelcol.StateRunning {
		select {
		case err := <-g.done:
			g.done <- err
			t.Fatalf("the collector did not start: %v", err)
		case <-ctx.Done():
			t.Fatalf("the collector did not start within %v", testTimeout)
		case <-tick.C:
		}
	}
	return g
}

// Stop shuts the gateway down and waits until it has stopped. Calling it
// again does nothing.
func (g *gateway) Stop(t testing.TB) {
	t.Helper()
	if g.col == nil {
		return
	}
	g.col.Shutdown()
	select {
	case err := <-g.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("collector: %v", err)
		}
	case <-waitCtx(t).Done():
		t.Errorf("the collector did not stop within %v", testTimeout)
	}
	g.col = nil
}

// metric returns the sum of the samples of the Collector's own metric
// whose name starts with name, as its Prometheus endpoint serves them.
func (g *gateway) metric(t testing.TB, name string) float64 {
	t.Helper()
	resp, err := http.Get(g.MetricsURL)
	if err != nil {
		t.Fatalf("reading the collector's metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}
