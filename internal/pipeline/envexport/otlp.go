package envexport

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

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
// reached over TLS.
type otlpClient struct {
	url     string
	headers http.Header
	timeout time.Duration
	gzip    bool
	http    *http.Client

	mu     sync.Mutex
	closed bool
}

// newOTLPClient reads the variables of signal ("TRACES" or "METRICS"),
// whose path is path ("/v1/traces" or "/v1/metrics"), with getenv.
func newOTLPClient(getenv func(string) string, signal, path string) (*otlpClient, error) {
	get := func(name string) (string, string) {
		specific := "OTEL_EXPORTER_OTLP_" + signal + "_" + name
		if v := strings.TrimSpace(getenv(specific)); v != "" {
			return v, specific
		}
		general := "OTEL_EXPORTER_OTLP_" + name
		return strings.TrimSpace(getenv(general)), general
	}
	c := &otlpClient{headers: http.Header{}, timeout: defaultOTLPTimeout}

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
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 || ms > math.MaxInt64/int64(time.Millisecond) {
			return nil, fmt.Errorf("%w: %s=%q: want a positive number of milliseconds", ErrUnsupported, name, v)
		}
		c.timeout = time.Duration(ms) * time.Millisecond
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

// send posts one encoded request, within the client's timeout and ctx.
func (c *otlpClient) send(ctx context.Context, body []byte) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return errOTLPClosed
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var encoding string
	if c.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("compressing the OTLP request: %w", err)
		}
		body, encoding = buf.Bytes(), "gzip"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("OTLP request to %s: %w", c.url, err)
	}
	for k, v := range c.headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("sending OTLP to %s: %w", c.url, err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		text := strings.Join(strings.Fields(string(msg)), " ")
		if len(text) > 200 {
			text = text[:200] + "…"
		}
		return fmt.Errorf("sending OTLP to %s: the server answered %s: %s", c.url, res.Status, text)
	}
	return nil
}

func (c *otlpClient) shutdown() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.http.CloseIdleConnections()
}

// otlpSpanExporter sends spans over OTLP/HTTP.
type otlpSpanExporter struct{ c *otlpClient }

var _ sdktrace.SpanExporter = (*otlpSpanExporter)(nil)

// ExportSpans sends spans in one request.
func (e *otlpSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	return e.c.send(ctx, encodeSpans(spans))
}

// Shutdown stops the exporter; later exports fail.
func (e *otlpSpanExporter) Shutdown(context.Context) error {
	e.c.shutdown()
	return nil
}

// otlpMetricExporter sends metrics over OTLP/HTTP, with delta
// temporality.
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

// Export sends rm in one request.
func (e *otlpMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if rm == nil || len(rm.ScopeMetrics) == 0 {
		return nil
	}
	body, encErr := encodeMetrics(rm)
	return errors.Join(e.c.send(ctx, body), encErr)
}

// ForceFlush does nothing: every Export sends at once.
func (e *otlpMetricExporter) ForceFlush(context.Context) error { return nil }

// Shutdown stops the exporter; later exports fail.
func (e *otlpMetricExporter) Shutdown(context.Context) error {
	e.c.shutdown()
	return nil
}
