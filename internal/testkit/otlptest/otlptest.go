// Package otlptest provides an OTLP/HTTP receiver of traces and metrics
// on loopback, for tests of what Elmo's programs send when the standard
// OTEL_*_EXPORTER=otlp variables point them at a local collector.
package otlptest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Request is one request the Server received, whatever its answer.
type Request struct {
	// Time is when the request arrived.
	Time time.Time
	// Path is the URL path.
	Path string
	// Header holds the request headers.
	Header http.Header
	// Body is the body after decompression.
	Body []byte
	// Status is the HTTP status the Server answered with; 0 when it closed
	// the connection instead.
	Status int
}

type responseKind int

const (
	kindAccept responseKind = iota
	kindStatus
	kindClose
)

// Response is one scripted answer. Build it with Accept, PartialSuccess,
// Respond or CloseConnection.
type Response struct {
	kind       responseKind
	status     int
	retryAfter string
	rejected   int64
	message    string
}

// Accept decodes the request as OTLP and keeps what it holds. It is the
// default answer.
func Accept() Response { return Response{kind: kindAccept} }

// PartialSuccess accepts the request, keeps what it holds, and answers
// with a partial_success that says rejected spans or data points were
// refused, with message.
func PartialSuccess(rejected int64, message string) Response {
	return Response{kind: kindAccept, rejected: rejected, message: message}
}

// Respond answers with status, keeping nothing. A 2xx status answers
// success without keeping what the request holds.
func Respond(status int) Response { return Response{kind: kindStatus, status: status} }

// CloseConnection closes the connection without writing a response: what
// a sender sees as a network error.
func CloseConnection() Response { return Response{kind: kindClose} }

// WithRetryAfter returns r with a Retry-After header of value, written as
// it is: a number of seconds or an HTTP date.
func (r Response) WithRetryAfter(value string) Response {
	r.retryAfter = value
	return r
}

// Server is an OTLP/HTTP receiver that accepts protobuf requests on
// /v1/traces and /v1/metrics, plain or gzip-compressed, and keeps what it
// received. It answers each request with the next scripted Response, or
// the default one (Accept unless SetDefault changes it).
type Server struct {
	// URL is the base URL of the server, for OTEL_EXPORTER_OTLP_ENDPOINT.
	URL string

	srv      *httptest.Server
	mu       sync.Mutex
	change   chan struct{}
	script   []Response
	def      Response
	requests []Request
	bodies   [][]byte
	spans    []*tracepb.ResourceSpans
	metrics  []*metricpb.ResourceMetrics
}

// NewServer starts a Server on a loopback port. Close it when done.
func NewServer() *Server {
	s := &Server{change: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Script queues answers for the next requests, one per request, in order.
// Once the queue is empty the default answer applies.
func (s *Server) Script(rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, rs...)
}

// SetDefault sets the answer used when no scripted answer is queued:
// Respond(http.StatusServiceUnavailable) for an outage, Accept() for its
// end.
func (s *Server) SetDefault(r Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.def = r
}

// Requests returns every request received so far, whatever the answer, in
// arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) next() Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) > 0 {
		r := s.script[0]
		s.script = s.script[1:]
		return r
	}
	return s.def
}

// record keeps rec and wakes the waiters.
func (s *Server) record(rec Request) {
	s.requests = append(s.requests, rec)
	close(s.change)
	s.change = make(chan struct{})
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Time: time.Now(), Path: r.URL.Path, Header: r.Header.Clone()}
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
	rec.Body = body
	answer := s.next()
	switch answer.kind {
	case kindClose:
		s.mu.Lock()
		s.record(rec)
		s.mu.Unlock()
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case kindStatus:
		rec.Status = answer.status
		s.mu.Lock()
		s.record(rec)
		s.mu.Unlock()
		if answer.retryAfter != "" {
			w.Header().Set("Retry-After", answer.retryAfter)
		}
		w.WriteHeader(answer.status)
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
		out := &coltracepb.ExportTraceServiceResponse{}
		if answer.rejected != 0 || answer.message != "" {
			out.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: answer.rejected, ErrorMessage: answer.message}
		}
		resp = out
	case "/v1/metrics":
		var req colmetricpb.ExportMetricsServiceRequest
		if proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP metrics request", http.StatusBadRequest)
			return
		}
		s.metrics = append(s.metrics, req.ResourceMetrics...)
		out := &colmetricpb.ExportMetricsServiceResponse{}
		if answer.rejected != 0 || answer.message != "" {
			out.PartialSuccess = &colmetricpb.ExportMetricsPartialSuccess{RejectedDataPoints: answer.rejected, ErrorMessage: answer.message}
		}
		resp = out
	default:
		http.NotFound(w, r)
		return
	}
	s.bodies = append(s.bodies, body)
	rec.Status = http.StatusOK
	s.record(rec)
	out, _ := proto.Marshal(resp)
	if answer.retryAfter != "" {
		w.Header().Set("Retry-After", answer.retryAfter)
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// Body returns every request body accepted, joined: what left the
// process, to search for values that must not.
func (s *Server) Body() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Join(s.bodies, nil)
}

// ResourceSpans returns the spans accepted, by resource, in order.
func (s *Server) ResourceSpans() []*tracepb.ResourceSpans {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*tracepb.ResourceSpans(nil), s.spans...)
}

// ResourceMetrics returns the metrics accepted, by resource, in order.
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

// Sum returns the total of the data points of the sums called name that
// the Server accepted: for a delta sum, the count over the whole run.
func (s *Server) Sum(name string) float64 { return Sum(s.ResourceMetrics(), name) }

// Sum returns the total of the data points of the sums called name in
// rms, integer and floating point alike.
func Sum(rms []*metricpb.ResourceMetrics, name string) float64 {
	var total float64
	for _, rm := range rms {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != name || m.GetSum() == nil {
					continue
				}
				for _, p := range m.GetSum().DataPoints {
					switch v := p.Value.(type) {
					case *metricpb.NumberDataPoint_AsInt:
						total += float64(v.AsInt)
					case *metricpb.NumberDataPoint_AsDouble:
						total += v.AsDouble
					}
				}
			}
		}
	}
	return total
}

// SumOnce returns the total of the data points of the sums called name in
// the requests the Server accepted, each point counted once however many
// requests carried it: a point is its attributes, start and time. That is
// what PostHog counts behind a gateway, which gives a point one uuid, so
// that a request sent again (its answer lost to a deadline) counts once.
func (s *Server) SumOnce(name string) float64 {
	seen := map[string]bool{}
	var total float64
	for _, rm := range s.ResourceMetrics() {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != name || m.GetSum() == nil {
					continue
				}
				for _, p := range m.GetSum().DataPoints {
					key := fmt.Sprint(p.Attributes, p.StartTimeUnixNano, p.TimeUnixNano)
					if seen[key] {
						continue
					}
					seen[key] = true
					switch v := p.Value.(type) {
					case *metricpb.NumberDataPoint_AsInt:
						total += float64(v.AsInt)
					case *metricpb.NumberDataPoint_AsDouble:
						total += v.AsDouble
					}
				}
			}
		}
	}
	return total
}

// ResourceMetrics decodes the request's body as an OTLP metrics request,
// whether the Server accepted it or not. It returns nil for a request of
// another path or one that does not decode.
func (r Request) ResourceMetrics() []*metricpb.ResourceMetrics {
	var req colmetricpb.ExportMetricsServiceRequest
	if r.Path != "/v1/metrics" || proto.Unmarshal(r.Body, &req) != nil {
		return nil
	}
	return req.ResourceMetrics
}

// ResourceSpans decodes the request's body as an OTLP trace request,
// whether the Server accepted it or not. It returns nil for a request of
// another path or one that does not decode.
func (r Request) ResourceSpans() []*tracepb.ResourceSpans {
	var req coltracepb.ExportTraceServiceRequest
	if r.Path != "/v1/traces" || proto.Unmarshal(r.Body, &req) != nil {
		return nil
	}
	return req.ResourceSpans
}
