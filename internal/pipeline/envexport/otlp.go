package envexport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// defaultOTLPEndpoint is the OTLP/HTTP endpoint when none is set.
const defaultOTLPEndpoint = "http://localhost:4318"

// defaultOTLPTimeout is how long one export may take when
// OTEL_EXPORTER_OTLP_TIMEOUT is not set.
const defaultOTLPTimeout = 10 * time.Second

// otlpClient sends OTLP/HTTP protobuf requests of one signal, configured
// by the standard variables:
//
//	OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT
//	OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_<SIGNAL>_HEADERS
//	OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_EXPORTER_OTLP_<SIGNAL>_TIMEOUT
//	OTEL_EXPORTER_OTLP_COMPRESSION, OTEL_EXPORTER_OTLP_<SIGNAL>_COMPRESSION
//	OTEL_EXPORTER_OTLP_CERTIFICATE, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
//	OTEL_EXPORTER_OTLP_CLIENT_KEY and their <SIGNAL> forms
//
// The signal's own variable wins over the general one. A signal endpoint is
// used as it is; the general endpoint gets /v1/traces or /v1/metrics
// appended to its path. An endpoint without a scheme is a host and port
// reached over TLS. The timeout, in milliseconds (ParseMillis), bounds
// each export, its retries and the sending of what earlier exports hold
// included. Delivery is in otlpdeliver.go.
type otlpClient struct {
	url     string
	headers http.Header
	timeout time.Duration
	gzip    bool
	http    *http.Client
	kind    string       // what a request carries: "spans" or "data points"
	logger  *slog.Logger // nil: otel.Handle

	// Bounds of the hold, and the first and longest waits between
	// attempts: constants, but for tests.
	maxHeld, maxHeldBytes int
	retryBase, retryMax   time.Duration

	// sending is held by the one drain of the hold at a time.
	sending chan struct{}

	mu            sync.Mutex
	closed        bool
	seq           uint64
	held          []heldRequest // oldest first
	heldBytes     int
	failures      int       // failed attempts in a row
	notBefore     time.Time // no attempt before: the backoff or Retry-After
	throttled     bool      // notBefore is the server's Retry-After
	lastErr       error     // of the last failed attempt
	dropped       counts    // dropped past the bounds of the hold
	outageDropped counts    // of those, since the last delivery
	refused       counts    // refused for good by the endpoint
	fullLogged    bool      // the hold's being full was logged, this outage
	partialLogged bool
}

// newOTLPClient reads the variables of signal ("TRACES" or "METRICS"),
// whose path is path ("/v1/traces" or "/v1/metrics") and whose requests
// carry kind ("spans" or "data points"), with getenv.
func newOTLPClient(getenv func(string) string, signal, path, kind string, cfg config) (*otlpClient, error) {
	get := func(name string) (string, string) {
		specific := "OTEL_EXPORTER_OTLP_" + signal + "_" + name
		if v := strings.TrimSpace(getenv(specific)); v != "" {
			return v, specific
		}
		general := "OTEL_EXPORTER_OTLP_" + name
		return strings.TrimSpace(getenv(general)), general
	}
	c := &otlpClient{
		headers: http.Header{}, timeout: defaultOTLPTimeout, kind: kind, logger: cfg.logger,
		maxHeld: defaultMaxHeld, maxHeldBytes: defaultMaxHeldBytes, retryBase: defaultRetryBase, retryMax: maxRetryWait,
		sending: make(chan struct{}, 1),
	}

	endpoint, from := get("ENDPOINT")
	specific := from == "OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT"
	if endpoint == "" {
		endpoint, specific = defaultOTLPEndpoint, false
	}
	u, err := parseEndpoint(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", from, endpoint, err)
	}
	if !specific {
		u.Path = strings.TrimSuffix(u.Path, "/") + path
	}
	c.url = u.String()

	if v, name := get("HEADERS"); v != "" {
		for _, pair := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(pair, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return nil, fmt.Errorf("%s: %q is not key=value", name, strings.TrimSpace(pair))
			}
			dk, err1 := url.PathUnescape(k)
			dv, err2 := url.PathUnescape(strings.TrimSpace(val))
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			c.headers.Set(dk, dv)
		}
	}
	if v, name := get("TIMEOUT"); v != "" {
		d, err := ParseMillis(name, v)
		if err != nil {
			return nil, err
		}
		c.timeout = d
	}
	if v, name := get("COMPRESSION"); v != "" {
		switch strings.ToLower(v) {
		case "gzip":
			c.gzip = true
		case "none":
		default:
			return nil, fmt.Errorf("%w: %s=%q: this build compresses with gzip or none", ErrUnsupported, name, v)
		}
	}
	tlsConf, err := tlsConfig(get)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if tlsConf != nil {
		tr.TLSClientConfig = tlsConf
	}
	c.http = &http.Client{Transport: tr}
	return c, nil
}

// parseEndpoint parses an OTLP endpoint: a URL with an http or https
// scheme, or a host and port, which is reached over TLS.
func parseEndpoint(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: the scheme %q is neither http nor https", ErrUnsupported, u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("the URL has no host")
	}
	return u, nil
}

// tlsConfig builds the TLS configuration that the certificate variables
// ask for, or nil when none is set.
func tlsConfig(get func(string) (string, string)) (*tls.Config, error) {
	ca, caVar := get("CERTIFICATE")
	cert, certVar := get("CLIENT_CERTIFICATE")
	key, keyVar := get("CLIENT_KEY")
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", caVar, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: %s holds no PEM certificate", caVar, ca)
		}
		conf.RootCAs = pool
	}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%s and %s must be set together", certVar, keyVar)
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", certVar, keyVar, err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	return conf, nil
}

// errOTLPClosed is returned by an export after Shutdown.
var errOTLPClosed = errors.New("the OTLP exporter is shut down")

func (c *otlpClient) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// warn reports msg, a sentence about delivery, to the logger, or to
// otel.Handle without one.
func (c *otlpClient) warn(msg string) {
	if c.logger != nil {
		c.logger.Warn(msg)
		return
	}
	otel.Handle(errors.New(msg))
}

// otlpSpanExporter sends spans over OTLP/HTTP. What an export could not
// deliver is held and sent first by the next (see otlpClient.export).
type otlpSpanExporter struct{ c *otlpClient }

var _ sdktrace.SpanExporter = (*otlpSpanExporter)(nil)

// ExportSpans sends what earlier exports hold, then spans in one request,
// retrying within ctx and the export timeout. It returns an error when
// something is still held for the next export, or was refused for good.
func (e *otlpSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	var body []byte
	if len(spans) > 0 {
		body = encodeSpans(spans)
	}
	return e.c.export(ctx, body, len(spans))
}

// Shutdown makes one last attempt to deliver what is held, within ctx,
// and stops the exporter: later exports fail. What is still held is lost
// and logged, in one line.
func (e *otlpSpanExporter) Shutdown(ctx context.Context) error {
	e.c.shutdown(ctx)
	return nil
}

// otlpMetricExporter sends metrics over OTLP/HTTP, with delta
// temporality. What an export could not deliver is held and sent first
// by the next, each request its own delta, in order.
type otlpMetricExporter struct{ c *otlpClient }

var _ sdkmetric.Exporter = (*otlpMetricExporter)(nil)

// Temporality returns delta for every instrument, like the PostHog
// exporter's.
func (e *otlpMetricExporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

// Aggregation returns the default aggregation of k.
func (e *otlpMetricExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// Export sends what earlier exports hold, then rm in one request,
// retrying within ctx and the export timeout. It returns an error when
// something is still held for the next export, or was refused for good.
func (e *otlpMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	var (
		body   []byte
		encErr error
		points int
	)
	if rm != nil && len(rm.ScopeMetrics) > 0 {
		body, encErr = encodeMetrics(rm)
		points = dataPoints(rm)
	}
	return errors.Join(e.c.export(ctx, body, points), encErr)
}

// ForceFlush sends what earlier exports hold, within ctx and the export
// timeout.
func (e *otlpMetricExporter) ForceFlush(ctx context.Context) error {
	if e.c.isClosed() {
		return nil
	}
	return e.c.export(ctx, nil, 0)
}

// Shutdown makes one last attempt to deliver what is held, within ctx,
// and stops the exporter: later exports fail. What is still held is lost
// and logged, in one line.
func (e *otlpMetricExporter) Shutdown(ctx context.Context) error {
	e.c.shutdown(ctx)
	return nil
}

// dataPoints counts the data points of rm.
func dataPoints(rm *metricdata.ResourceMetrics) int {
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				n += len(d.DataPoints)
			case metricdata.Sum[float64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[int64]:
				n += len(d.DataPoints)
			case metricdata.Gauge[float64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[int64]:
				n += len(d.DataPoints)
			case metricdata.Histogram[float64]:
				n += len(d.DataPoints)
			}
		}
	}
	return n
}
