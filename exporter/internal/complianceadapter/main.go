// Command complianceadapter exposes the PostHog exporter's delivery client
// as an adapter for PostHog's public SDK compliance harness
// (github.com/PostHog/posthog-sdk-test-harness), so that the harness's
// capture and capture_v1 suites can check the exporter's wire behaviour.
// It is a testing tool, run by scripts/compliance; it is not part of Elmo.
//
// Usage:
//
//	complianceadapter -addr 127.0.0.1:8080 -capture legacy|v1
//
// It accepts only a capture host on the loopback interface.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/elmohq/telemetry/exporter"
)

const adapterVersion = "1.0.0"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	capture := flag.String("capture", "legacy", "capture API: legacy or v1")
	flag.Parse()
	api, err := exporter.ParseCaptureAPI(*capture)
	if err != nil {
		log.Fatal(err)
	}
	a := &adapter{api: api}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", a.health)
	mux.HandleFunc("POST /init", a.init)
	mux.HandleFunc("POST /capture", a.capture)
	mux.HandleFunc("POST /flush", a.flush)
	mux.HandleFunc("GET /state", a.state)
	mux.HandleFunc("POST /reset", a.reset)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("compliance adapter (%s capture) on %s", api, *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// adapter holds one session at a time and what the harness asks about
// it.
type adapter struct {
	api exporter.CaptureAPI

	mu       sync.Mutex
	session  *session
	noGeoIP  bool
	captured int
	requests []requestInfo
	attempts map[string]int // legacy: attempts seen per batch
}

// session is one exporter.Client with the queue the harness expects of an
// SDK in front of it: the Client delivers when called, so the adapter
// holds captured events itself and calls Send with them once flushAt
// have gathered, flushInterval after the first of them, or on /flush,
// as a batch span processor would.
type session struct {
	c             *exporter.Client
	flushAt       int
	flushInterval time.Duration
	ctx           context.Context // ends when the session is replaced
	cancel        context.CancelFunc

	mu       sync.Mutex
	idle     *sync.Cond // signalled when sending drops to 0
	buf      []exporter.Event
	timer    *time.Timer // sends buf flushInterval after its first event
	sending  int         // Send calls running
	inFlight int         // events in those calls
}

func newSession(c *exporter.Client, flushAt int, flushInterval time.Duration) *session {
	s := &session{c: c, flushAt: flushAt, flushInterval: flushInterval}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.idle = sync.NewCond(&s.mu)
	return s
}

// add queues ev, and sends the queue in the background once it holds
// flushAt events.
func (s *session) add(ev exporter.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, ev)
	if len(s.buf) >= s.flushAt {
		go s.send(s.takeLocked())
		return
	}
	if s.timer == nil {
		var t *time.Timer
		t = time.AfterFunc(s.flushInterval, func() { s.tick(t) })
		s.timer = t
	}
}

// tick sends the queue when the timer t is still the current one.
func (s *session) tick(t *time.Timer) {
	s.mu.Lock()
	if s.timer != t {
		s.mu.Unlock()
		return
	}
	batch := s.takeLocked()
	s.mu.Unlock()
	s.send(batch)
}

// takeLocked empties the queue into a batch that the caller must send,
// and counts it as being sent.
func (s *session) takeLocked() []exporter.Event {
	batch := s.buf
	s.buf = nil
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.sending++
	s.inFlight += len(batch)
	return batch
}

// send delivers batch; the Client retries within the session's context.
func (s *session) send(batch []exporter.Event) {
	_ = s.c.Send(s.ctx, batch...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sending--
	s.inFlight -= len(batch)
	if s.sending == 0 {
		s.idle.Broadcast()
	}
}

// flush sends what is queued and waits until every Send of the session
// has returned.
func (s *session) flush() {
	s.mu.Lock()
	batch := s.takeLocked()
	s.mu.Unlock()
	s.send(batch)
	s.mu.Lock()
	for s.sending > 0 {
		s.idle.Wait()
	}
	s.mu.Unlock()
}

// pending is how many captured events are not yet delivered or given up.
func (s *session) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buf) + s.inFlight
}

// close gives the session's queue a second to go, then ends it.
func (s *session) close() {
	stop := time.AfterFunc(time.Second, s.cancel)
	s.flush()
	stop.Stop()
	s.cancel()
	_ = s.c.Shutdown(context.Background())
}

type requestInfo struct {
	TimestampMs  int64    `json:"timestamp_ms"`
	StatusCode   int      `json:"status_code"`
	RetryAttempt int      `json:"retry_attempt"`
	EventCount   int      `json:"event_count"`
	UUIDList     []string `json:"uuid_list"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func (a *adapter) health(w http.ResponseWriter, _ *http.Request) {
	capability := "capture_v0"
	if a.api == exporter.CaptureV1 {
		capability = "capture_v1"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"sdk_name":        "elmo-telemetry-exporter",
		"sdk_version":     "dev",
		"adapter_version": adapterVersion,
		"capabilities":    []string{capability, "encoding_gzip"},
	})
}

type initRequest struct {
	APIKey              string `json:"api_key"`
	Host                string `json:"host"`
	FlushAt             *int   `json:"flush_at"`
	FlushIntervalMs     *int   `json:"flush_interval_ms"`
	MaxRetries          *int   `json:"max_retries"`
	EnableCompression   *bool  `json:"enable_compression"`
	DisableGeoIP        *bool  `json:"disable_geoip"`
	HistoricalMigration *bool  `json:"historical_migration"`
}

// loopback reports whether host is an http URL on the loopback interface:
// the adapter only ever talks to the harness's mock server.
func loopback(host string) bool {
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

func (a *adapter) init(w http.ResponseWriter, r *http.Request) {
	var req initRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if !loopback(req.Host) {
		fail(w, http.StatusBadRequest, fmt.Errorf("host %q is not on the loopback interface", req.Host))
		return
	}
	// Events wait for a full batch, the flush interval or a flush, as the
	// harness's batching tests expect; /flush sends them.
	flushAt, interval := 1, time.Second
	if req.FlushAt != nil && *req.FlushAt > 0 {
		flushAt = *req.FlushAt
	}
	if req.FlushIntervalMs != nil && *req.FlushIntervalMs > 0 {
		interval = time.Duration(*req.FlushIntervalMs) * time.Millisecond
	}
	opts := []exporter.Option{
		exporter.WithHost(req.Host),
		exporter.WithAPIKey(req.APIKey),
		exporter.WithCaptureAPI(a.api),
		exporter.WithBatchSize(flushAt),
		exporter.WithTransport(&tracker{a: a, base: http.DefaultTransport.(*http.Transport).Clone()}),
	}
	if req.MaxRetries != nil {
		opts = append(opts, exporter.WithMaxRetries(*req.MaxRetries))
	}
	if req.EnableCompression != nil {
		opts = append(opts, exporter.WithCompression(*req.EnableCompression))
	}
	if req.HistoricalMigration != nil {
		opts = append(opts, exporter.WithHistoricalMigration(*req.HistoricalMigration))
	}
	c, err := exporter.NewClient(opts...)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	old := a.swap(newSession(c, flushAt, interval), req.DisableGeoIP != nil && *req.DisableGeoIP)
	closeSession(old)
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// swap installs s and clears the state, returning the session it
// replaces.
func (a *adapter) swap(s *session, noGeoIP bool) *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.session
	a.session, a.noGeoIP = s, noGeoIP
	a.captured = 0
	a.requests = nil
	a.attempts = map[string]int{}
	return old
}

func closeSession(s *session) {
	if s != nil {
		s.close()
	}
}

// current returns the session, or nil before /init.
func (a *adapter) current() *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.session
}

type captureRequest struct {
	DistinctID string         `json:"distinct_id"`
	Event      string         `json:"event"`
	Properties map[string]any `json:"properties"`
	Timestamp  *string        `json:"timestamp"`
	UUID       string         `json:"uuid"`
	Options    map[string]any `json:"options"`
}

// optionProperties maps v1 event options to the properties the exporter
// lifts into them with the v1 API, as posthog-go does.
var optionProperties = map[string]string{
	"cookieless_mode":         "$cookieless_mode",
	"disable_skew_correction": "$ignore_sent_at",
	"process_person_profile":  "$process_person_profile",
	"product_tour_id":         "$product_tour_id",
}

func (a *adapter) capture(w http.ResponseWriter, r *http.Request) {
	var req captureRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	a.mu.Lock()
	sess, noGeoIP := a.session, a.noGeoIP
	a.mu.Unlock()
	if sess == nil {
		fail(w, http.StatusBadRequest, errors.New("not initialized"))
		return
	}
	props := map[string]any{}
	if noGeoIP {
		props["$geoip_disable"] = true
	}
	for k, v := range req.Properties {
		props[k] = v
	}
	for k, v := range req.Options {
		if p, ok := optionProperties[k]; ok {
			props[p] = v
		} else {
			props["$"+k] = v
		}
	}
	ev := exporter.Event{
		UUID:       req.UUID,
		Event:      req.Event,
		DistinctID: req.DistinctID,
		Timestamp:  time.Now().UTC(),
		Properties: props,
	}
	if ev.UUID == "" {
		ev.UUID = uuid.NewString()
	}
	if req.Timestamp != nil {
		if ts, err := time.Parse(time.RFC3339Nano, *req.Timestamp); err == nil {
			ev.Timestamp = ts
		}
	}
	a.mu.Lock()
	a.captured++
	a.mu.Unlock()
	sess.add(ev)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "uuid": ev.UUID})
}

func (a *adapter) flush(w http.ResponseWriter, _ *http.Request) {
	sess := a.current()
	if sess == nil {
		fail(w, http.StatusBadRequest, errors.New("not initialized"))
		return
	}
	// Send what is queued and wait until every event is delivered,
	// refused, or has run out of retries.
	sess.flush()
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "events_flushed": sess.c.Stats().Delivered})
}

func (a *adapter) state(w http.ResponseWriter, _ *http.Request) {
	sess := a.current()
	var (
		pending int
		stats   exporter.Stats
	)
	if sess != nil {
		pending, stats = sess.pending(), sess.c.Stats()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"pending_events":        pending,
		"total_events_captured": a.captured,
		"total_events_sent":     stats.Delivered,
		"total_retries":         stats.Retried,
		"requests_made":         append([]requestInfo{}, a.requests...),
	})
}

func (a *adapter) reset(w http.ResponseWriter, _ *http.Request) {
	old := a.swap(nil, false)
	closeSession(old)
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// tracker records every HTTP request the client makes, as the harness's
// state asks.
type tracker struct {
	a    *adapter
	base http.RoundTripper
}

func (t *tracker) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := t.base.RoundTrip(req)
	if res == nil {
		return res, err
	}
	plain := body
	if req.Header.Get("Content-Encoding") == "gzip" {
		if zr, zerr := gzip.NewReader(bytes.NewReader(body)); zerr == nil {
			plain, _ = io.ReadAll(zr)
		}
	}
	var b struct {
		Batch []struct {
			UUID string `json:"uuid"`
		} `json:"batch"`
	}
	_ = json.Unmarshal(plain, &b)
	ids := make([]string, 0, len(b.Batch))
	for _, e := range b.Batch {
		ids = append(ids, e.UUID)
	}
	t.a.mu.Lock()
	defer t.a.mu.Unlock()
	attempt := 0
	if h := req.Header.Get("PostHog-Attempt"); h != "" {
		if n, err := strconv.Atoi(h); err == nil && n > 0 {
			attempt = n - 1
		}
	} else if len(ids) > 0 {
		attempt = t.a.attempts[ids[0]]
		t.a.attempts[ids[0]]++
	}
	t.a.requests = append(t.a.requests, requestInfo{
		TimestampMs:  time.Now().UnixMilli(),
		StatusCode:   res.StatusCode,
		RetryAttempt: attempt,
		EventCount:   len(ids),
		UUIDList:     ids,
	})
	return res, err
}
