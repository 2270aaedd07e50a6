package posthogtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// DefaultMaxBodySize is the largest request body, in bytes, that a Server
// accepts before it answers 413 Request Entity Too Large. It applies both to
// the body as received and to the body after gzip decompression, and matches
// the 500 kB batch limit that PostHog clients split their batches under.
const DefaultMaxBodySize = 500 * 1024

// Event is one event accepted by a Server, decoded from the batch it arrived
// in.
type Event struct {
	// UUID is the event's uuid field.
	UUID string `json:"uuid"`
	// Event is the event name.
	Event string `json:"event"`
	// DistinctID is the distinct_id field.
	DistinctID string `json:"distinct_id"`
	// Timestamp is the event's timestamp field.
	Timestamp time.Time `json:"timestamp"`
	// Properties holds the decoded properties object.
	Properties map[string]any `json:"properties"`
	// Raw is the event exactly as it appeared in the batch.
	Raw json.RawMessage `json:"-"`
}

// Request describes one HTTP request the Server received, whatever the
// answer.
type Request struct {
	// Time is when the request arrived.
	Time time.Time
	// Method and Path are the request method and URL path.
	Method, Path string
	// Query is the raw query string.
	Query string
	// Header holds the request headers.
	Header http.Header
	// BodySize is the size of the body as received, before decompression.
	BodySize int
	// Gzip reports whether the body was gzip-compressed.
	Gzip bool
	// Body is the body after decompression, when the Server read it.
	Body []byte
	// Status is the HTTP status the Server answered with; 0 when the request
	// hung or its connection was closed.
	Status int
	// RemoteAddr is the client's address, host:port, which tells which
	// connection, and so which process, sent the request.
	RemoteAddr string
}

type responseKind int

const (
	kindAccept responseKind = iota
	kindStatus
	kindHang
	kindClose
	kindSwallow
)

// Response is one scripted answer. Build it with Accept, Partial, Respond,
// RespondRetryAfter, Hang or CloseConnection.
type Response struct {
	kind       responseKind
	status     int
	retryAfter string
	results    []string // v1 per-event results by position; nil: all ok
}

// V1Path is the path of the v1 capture API, which the Server serves beside
// the legacy /batch/.
const V1Path = "/i/v1/analytics/events"

// Per-event results of the v1 capture API.
const (
	// ResultOK: the event was accepted.
	ResultOK = "ok"
	// ResultRetry: the event was not accepted and may be sent again.
	ResultRetry = "retry"
	// ResultDrop: the event was refused for good.
	ResultDrop = "drop"
	// ResultOmitted leaves the event out of the results, which clients
	// take as accepted; the Server records it as accepted.
	ResultOmitted = ""
)

// Partial accepts a v1 batch with a result for each event, by position:
// results[i] is the result of the batch's event i, ResultOK for events past
// the end of results. Only events with ResultOK are recorded. For a legacy
// batch it is the same as Accept.
func Partial(results ...string) Response {
	return Response{kind: kindAccept, results: append([]string(nil), results...)}
}

// WithRetryAfter returns r with a Retry-After header of d, rounded up to
// whole seconds.
func (r Response) WithRetryAfter(d time.Duration) Response {
	r.retryAfter = fmt.Sprint(int((d + time.Second - 1) / time.Second))
	return r
}

// Accept validates the batch like the capture API and records its events.
// It is the default answer.
func Accept() Response { return Response{kind: kindAccept} }

// Respond answers with status without looking at the body. A 2xx status
// answers success without recording any event.
func Respond(status int) Response { return Response{kind: kindStatus, status: status} }

// RespondRetryAfter answers with status and a Retry-After header of d,
// rounded up to whole seconds.
func RespondRetryAfter(status int, d time.Duration) Response {
	secs := int((d + time.Second - 1) / time.Second)
	return Response{kind: kindStatus, status: status, retryAfter: fmt.Sprint(secs)}
}

// Hang never answers: the request stays open until the client gives up or
// the Server is closed.
func Hang() Response { return Response{kind: kindHang} }

// CloseConnection closes the connection without writing a response.
func CloseConnection() Response { return Response{kind: kindClose} }

// Swallow accepts the request's events, as Accept records them, and then
// never answers, like Hang: the server has the events but the client
// never learns it, as when an answer is lost or the client is killed
// while it waits.
func Swallow() Response { return Response{kind: kindSwallow} }

// Option configures a Server.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	maxBody int
	apiKey  string
	tls     bool
}

// WithMaxBodySize sets the request body limit in bytes; see
// DefaultMaxBodySize.
func WithMaxBodySize(n int) Option {
	return optionFunc(func(c config) config {
		c.maxBody = n
		return c
	})
}

// WithAPIKey makes the Server reject, with 401, batches whose api_key is not
// key. Without it any non-empty api_key is accepted.
func WithAPIKey(key string) Option {
	return optionFunc(func(c config) config {
		c.apiKey = key
		return c
	})
}

// WithTLS makes the Server serve HTTPS, with a self-signed certificate
// valid for 127.0.0.1, ::1 and example.com, so that a client under test
// goes through a TLS handshake as it would with PostHog. The Server's URL
// then has the form https://127.0.0.1:port.
//
// A Go client in the test process trusts the certificate through an
// x509.CertPool built from CertificatePEM. A child process, such as a
// built binary, can be made to trust it by writing it with
// WriteCertificate and pointing the SSL_CERT_FILE environment variable of
// the child at that file: Go programs on Linux and other Unix systems,
// and most programs built on OpenSSL, then take it as their only root
// certificate.
func WithTLS() Option {
	return optionFunc(func(c config) config {
		c.tls = true
		return c
	})
}

// newConfig returns the configuration opts make, from the defaults.
func newConfig(opts []Option) config {
	c := config{maxBody: DefaultMaxBodySize}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Server is a PostHog-compatible capture server listening on 127.0.0.1. It
// serves the legacy batch endpoint, /batch/ (API key in the body, one
// answer for the whole batch), and the v1 capture API, V1Path (Bearer
// authentication, a result for each event), and records every request and
// every accepted event.
type Server struct {
	// URL is the base URL of the server, of the form http://127.0.0.1:port,
	// or https://127.0.0.1:port with WithTLS, suitable as a PostHog host.
	URL string

	cfg     config
	srv     *httptest.Server
	closing chan struct{}
	once    sync.Once
	// release ends the wait of the requests that Hang or Swallow hold;
	// see ReleaseHeld.
	release     chan struct{}
	releaseOnce sync.Once

	mu       sync.Mutex
	script   []Response
	def      Response
	requests []Request
	events   []Event
	changed  chan struct{} // closed and replaced whenever events change
}

// NewServer starts and returns a Server. The caller must call Close when
// finished with it.
func NewServer(opts ...Option) *Server {
	cfg := newConfig(opts)
	s := &Server{
		cfg:     cfg,
		closing: make(chan struct{}),
		release: make(chan struct{}),
		def:     Accept(),
		changed: make(chan struct{}),
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	if cfg.tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	return s
}

// CertificatePEM returns the certificate of a Server started with WithTLS,
// PEM-encoded, for a client to trust; it returns nil when the Server
// serves plain HTTP.
func (s *Server) CertificatePEM() []byte {
	if !s.cfg.tls {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// WriteCertificate writes the certificate of a Server started with
// WithTLS to the file at path, PEM-encoded, creating or truncating it, so
// that a child process can trust it through SSL_CERT_FILE. It returns an
// error when the Server serves plain HTTP.
func (s *Server) WriteCertificate(path string) error {
	b := s.CertificatePEM()
	if b == nil {
		return errors.New("posthogtest: the server does not serve TLS")
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("posthogtest: write certificate: %w", err)
	}
	return nil
}

// Close releases requests that hang, closes every connection and shuts the
// Server down. It blocks until all handlers have returned.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Script queues answers for the next requests, one per request, in order.
// Once the queue is empty the default answer applies.
func (s *Server) Script(rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, rs...)
}

// SetDefault sets the answer used when no scripted answer is queued.
func (s *Server) SetDefault(r Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.def = r
}

// Requests returns a copy of every request received so far, in arrival
// order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Events returns a copy of every event accepted so far, in arrival order.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Wire returns every event accepted so far by UUID, exactly as it
// appeared in its request's body, for comparing with what a sender says
// it sent.
func (s *Server) Wire() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.events))
	for _, ev := range s.events {
		out[ev.UUID] = string(ev.Raw)
	}
	return out
}

// WaitForEvents blocks until at least n events have been accepted, and
// returns them all, or returns ctx's error with the events seen so far.
func (s *Server) WaitForEvents(ctx context.Context, n int) ([]Event, error) {
	for {
		s.mu.Lock()
		if len(s.events) >= n {
			evs := append([]Event(nil), s.events...)
			s.mu.Unlock()
			return evs, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			evs := s.Events()
			return evs, fmt.Errorf("posthogtest: %d of %d events arrived: %w", len(evs), n, ctx.Err())
		}
	}
}

// WaitForRequests blocks until at least n requests have been received, and
// returns them all, or returns ctx's error with the requests seen so far.
func (s *Server) WaitForRequests(ctx context.Context, n int) ([]Request, error) {
	for {
		s.mu.Lock()
		if len(s.requests) >= n {
			rs := append([]Request(nil), s.requests...)
			s.mu.Unlock()
			return rs, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			rs := s.Requests()
			return rs, fmt.Errorf("posthogtest: %d of %d requests arrived: %w", len(rs), n, ctx.Err())
		}
	}
}

// record appends a request and, if accepted, its events, and wakes waiters.
func (s *Server) record(r Request, evs []Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	s.events = append(s.events, evs...)
	close(s.changed)
	s.changed = make(chan struct{})
}

// hold waits, for a request held by Hang or Swallow, until the client
// gives up, the server closes or ReleaseHeld is called; then it answers
// 503 Service Unavailable.
func (s *Server) hold(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closing:
	case <-s.release:
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}

// ReleaseHeld answers 503 Service Unavailable to every request that Hang
// or Swallow holds, now and from then on, so that a client that waits
// for them retries at once. Set another default answer first.
func (s *Server) ReleaseHeld() {
	s.releaseOnce.Do(func() { close(s.release) })
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

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{
		Time:       time.Now(),
		Method:     r.Method,
		Path:       r.URL.Path,
		Query:      r.URL.RawQuery,
		Header:     r.Header.Clone(),
		RemoteAddr: r.RemoteAddr,
	}
	v1 := r.URL.Path == V1Path
	if r.Method != http.MethodPost || (r.URL.Path != "/batch/" && r.URL.Path != "/batch" && !v1) {
		rec.Status = http.StatusNotFound
		s.record(rec, nil)
		http.NotFound(w, r)
		return
	}

	raw, err := io.ReadAll(io.LimitReader(r.Body, int64(s.cfg.maxBody)+1))
	rec.BodySize = len(raw)
	rec.Gzip = r.Header.Get("Content-Encoding") == "gzip" ||
		strings.HasPrefix(r.URL.Query().Get("compression"), "gzip")

	resp := s.next()
	switch resp.kind {
	case kindHang:
		s.record(rec, nil)
		s.hold(w, r)
		return
	case kindSwallow:
		if v1 {
			_, _, evs := s.acceptV1(raw, err, rec.Gzip)
			s.record(rec, evs)
		} else {
			_, _, evs := s.accept(raw, err, rec.Gzip)
			s.record(rec, evs)
		}
		s.hold(w, r)
		return
	case kindClose:
		s.record(rec, nil)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case kindStatus:
		rec.Status = resp.status
		s.record(rec, nil)
		if resp.retryAfter != "" {
			w.Header().Set("Retry-After", resp.retryAfter)
		}
		w.WriteHeader(resp.status)
		return
	}

	if v1 {
		s.serveV1(w, r, rec, raw, err, resp)
		return
	}
	status, body, evs := s.accept(raw, err, rec.Gzip)
	rec.Status = status
	rec.Body = body
	s.record(rec, evs)
	w.Header().Set("Content-Type", "application/json")
	if resp.retryAfter != "" {
		w.Header().Set("Retry-After", resp.retryAfter)
	}
	w.WriteHeader(status)
	if status == http.StatusOK {
		_, _ = io.WriteString(w, `{"status":"Ok"}`)
	}
}

// serveV1 answers a v1 batch: a status for the request, and with 200 a
// result for each event.
func (s *Server) serveV1(w http.ResponseWriter, r *http.Request, rec Request, raw []byte, readErr error, resp Response) {
	w.Header().Set("Content-Type", "application/json")
	if id := r.Header.Get("PostHog-Request-Id"); id != "" {
		w.Header().Set("PostHog-Request-Id", id)
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || key == "" || (s.cfg.apiKey != "" && key != s.cfg.apiKey) {
		rec.Status = http.StatusUnauthorized
		s.record(rec, nil)
		w.WriteHeader(rec.Status)
		_, _ = io.WriteString(w, `{"error":"authentication_failed"}`)
		return
	}
	status, body, evs := s.acceptV1(raw, readErr, rec.Gzip)
	rec.Status = status
	rec.Body = body
	if status != http.StatusOK {
		s.record(rec, nil)
		w.WriteHeader(status)
		return
	}
	results := make(map[string]map[string]string, len(evs))
	var kept []Event
	for i, ev := range evs {
		res := ResultOK
		if i < len(resp.results) {
			res = resp.results[i]
		}
		if res != ResultOmitted {
			results[ev.UUID] = map[string]string{"result": res}
		}
		if res == ResultOK || res == ResultOmitted {
			kept = append(kept, ev)
		}
	}
	s.record(rec, kept)
	if resp.retryAfter != "" {
		w.Header().Set("Retry-After", resp.retryAfter)
	}
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{"results": results})
}

// acceptV1 validates a v1 batch: created_at and batch, no api_key.
func (s *Server) acceptV1(raw []byte, readErr error, gz bool) (int, []byte, []Event) {
	body, status := s.decompress(raw, readErr, gz)
	if status != 0 {
		return status, nil, nil
	}
	var b struct {
		APIKey    *string           `json:"api_key"`
		CreatedAt string            `json:"created_at"`
		Batch     []json.RawMessage `json:"batch"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.APIKey != nil {
		return http.StatusBadRequest, body, nil
	}
	if _, err := time.Parse(time.RFC3339, b.CreatedAt); err != nil {
		return http.StatusBadRequest, body, nil
	}
	evs := make([]Event, 0, len(b.Batch))
	for _, m := range b.Batch {
		ev, err := decodeEvent(m)
		if err != nil {
			return http.StatusBadRequest, body, nil
		}
		evs = append(evs, ev)
	}
	return http.StatusOK, body, evs
}

// decompress returns the body of a request, or the status that refuses it.
func (s *Server) decompress(raw []byte, readErr error, gz bool) ([]byte, int) {
	if readErr != nil {
		return nil, http.StatusBadRequest
	}
	if len(raw) > s.cfg.maxBody {
		return nil, http.StatusRequestEntityTooLarge
	}
	if !gz {
		return raw, 0
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, http.StatusBadRequest
	}
	body, err := io.ReadAll(io.LimitReader(zr, int64(s.cfg.maxBody)+1))
	if err != nil {
		return nil, http.StatusBadRequest
	}
	if len(body) > s.cfg.maxBody {
		return nil, http.StatusRequestEntityTooLarge
	}
	return body, 0
}

// accept validates one batch the way the capture API does: a whole batch is
// accepted or refused.
func (s *Server) accept(raw []byte, readErr error, gz bool) (int, []byte, []Event) {
	body, status := s.decompress(raw, readErr, gz)
	if status != 0 {
		return status, nil, nil
	}

	var b struct {
		APIKey string            `json:"api_key"`
		Batch  []json.RawMessage `json:"batch"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return http.StatusBadRequest, body, nil
	}
	if b.APIKey == "" || (s.cfg.apiKey != "" && b.APIKey != s.cfg.apiKey) {
		return http.StatusUnauthorized, body, nil
	}
	evs := make([]Event, 0, len(b.Batch))
	for _, m := range b.Batch {
		ev, err := decodeEvent(m)
		if err != nil {
			return http.StatusBadRequest, body, nil
		}
		evs = append(evs, ev)
	}
	return http.StatusOK, body, evs
}

func decodeEvent(m json.RawMessage) (Event, error) {
	var w struct {
		UUID       string         `json:"uuid"`
		Event      string         `json:"event"`
		DistinctID any            `json:"distinct_id"`
		Timestamp  string         `json:"timestamp"`
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(m, &w); err != nil {
		return Event{}, err
	}
	id, _ := w.DistinctID.(string)
	switch {
	case w.Event == "":
		return Event{}, errors.New("event is empty")
	case id == "":
		return Event{}, errors.New("distinct_id is empty or not a string")
	case uuid.Validate(w.UUID) != nil:
		return Event{}, fmt.Errorf("uuid %q is not valid", w.UUID)
	}
	ts, err := time.Parse(time.RFC3339Nano, w.Timestamp)
	if err != nil {
		return Event{}, fmt.Errorf("timestamp %q is not RFC 3339: %w", w.Timestamp, err)
	}
	if _, off := ts.Zone(); off != 0 || !strings.HasSuffix(w.Timestamp, "Z") {
		return Event{}, fmt.Errorf("timestamp %q is not UTC", w.Timestamp)
	}
	return Event{
		UUID:       w.UUID,
		Event:      w.Event,
		DistinctID: id,
		Timestamp:  ts,
		Properties: w.Properties,
		Raw:        append(json.RawMessage(nil), m...),
	}, nil
}
