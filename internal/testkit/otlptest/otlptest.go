// Package otlptest provides an OTLP/HTTP receiver of traces and metrics
// on loopback, for tests of what Elmo's programs send when the standard
// OTEL_*_EXPORTER=otlp variables point them at a local collector.
package otlptest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Server is an OTLP/HTTP receiver that accepts protobuf requests on
// /v1/traces and /v1/metrics, plain or gzip-compressed, and keeps what it
// received.
type Server struct {
	// URL is the base URL of the server, for OTEL_EXPORTER_OTLP_ENDPOINT.
	URL string

	srv     *httptest.Server
	mu      sync.Mutex
	change  chan struct{}
	bodies  [][]byte
	spans   []*tracepb.ResourceSpans
	metrics []*metricpb.ResourceMetrics
}

// NewServer starts a Server on a loopback port. Close it when done.
func NewServer() *Server {
	s := &Server{change: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var in io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "not gzip", http.StatusBadRequest)
			return
		}
		in = zr
	}
	body, err := io.ReadAll(in)
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	var resp proto.Message
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case "/v1/traces":
		var req coltracepb.ExportTraceServiceRequest
		if proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP trace request", http.StatusBadRequest)
			return
		}
		s.spans = append(s.spans, req.ResourceSpans...)
		resp = &coltracepb.ExportTraceServiceResponse{}
	case "/v1/metrics":
		var req colmetricpb.ExportMetricsServiceRequest
		if proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP metrics request", http.StatusBadRequest)
			return
		}
		s.metrics = append(s.metrics, req.ResourceMetrics...)
		resp = &colmetricpb.ExportMetricsServiceResponse{}
	default:
		http.NotFound(w, r)
		return
	}
	s.bodies = append(s.bodies, body)
	close(s.change)
	s.change = make(chan struct{})
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// Body returns every request body received, joined: what left the
// process, to search for values that must not.
func (s *Server) Body() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Join(s.bodies, nil)
}

// ResourceSpans returns the spans received, by resource.
func (s *Server) ResourceSpans() []*tracepb.ResourceSpans {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*tracepb.ResourceSpans(nil), s.spans...)
}

// ResourceMetrics returns the metrics received, by resource.
func (s *Server) ResourceMetrics() []*metricpb.ResourceMetrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*metricpb.ResourceMetrics(nil), s.metrics...)
}

// SpanNames returns the names of the spans received, in order.
func (s *Server) SpanNames() []string {
	var names []string
	for _, rs := range s.ResourceSpans() {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				names = append(names, sp.Name)
			}
		}
	}
	return names
}

// MetricNames returns the names of the metrics received, in order.
func (s *Server) MetricNames() []string {
	var names []string
	for _, rm := range s.ResourceMetrics() {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				names = append(names, m.Name)
			}
		}
	}
	return names
}

// Wait waits until done reports true for the server's state, checking
// after every request, or until ctx ends; it returns ctx's error then.
func (s *Server) Wait(ctx context.Context, done func(*Server) bool) error {
	for {
		s.mu.Lock()
		ch := s.change
		s.mu.Unlock()
		if done(s) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
