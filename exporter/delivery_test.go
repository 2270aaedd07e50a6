package exporter_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// captureAPIs are the two capture APIs every delivery test runs against.
var captureAPIs = []exporter.CaptureAPI{exporter.CaptureLegacy, exporter.CaptureV1}

// captureEvent returns an event with a fresh UUID, padded with pad bytes
// of property.
func captureEvent(name string, pad int) exporter.Event {
	return exporter.Event{
		UUID:       uuid.NewString(),
		Event:      name,
		DistinctID: installID,
		Timestamp:  time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC),
		Properties: map[string]any{"service": "elmo-cli", "pad": strings.Repeat("x", pad)},
	}
}

// undeliveredHook collects what a Client reports undelivered.
type undeliveredHook struct {
	mu     sync.Mutex
	events []exporter.Event
}

func (h *undeliveredHook) add(evs []exporter.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, evs...)
}

func (h *undeliveredHook) got() []exporter.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]exporter.Event(nil), h.events...)
}

// requestEvents decodes the events of one recorded request.
func requestEvents(t *testing.T, r posthogtest.Request) []map[string]any {
	t.Helper()
	var b struct {
		Batch []map[string]any `json:"batch"`
	}
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("request body: %v", err)
	}
	return b.Batch
}

// Neither PostHog's Go client's operating system properties nor its Go
// version reach the server, with either capture API; the library's own
// name does, with the legacy API in the properties and with both in the
// User-Agent header (and PostHog-Sdk-Info with v1): elmo-telemetry, never
// the name of a client that did not send the event.
func TestSystemContextIsNotSent(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			c := newClient(t, srv, exporter.WithCaptureAPI(api))
			c.Enqueue(captureEvent("cli_version", 0))
			shutdown(t, c)
			evs := srv.Events()
			if len(evs) != 1 {
				t.Fatalf("%d events arrived, want 1", len(evs))
			}
			for _, k := range []string{"$os", "$os_version", "$os_distro", "$go_version"} {
				if v, ok := evs[0].Properties[k]; ok {
					t.Errorf("%s = %v arrived", k, v)
				}
			}
			if api == exporter.CaptureLegacy {
				for _, k := range []string{"$lib", "$lib_version"} {
					if _, ok := evs[0].Properties[k]; !ok {
						t.Errorf("%s is missing", k)
					}
				}
			}
			if got := evs[0].Properties["$lib"]; api == exporter.CaptureLegacy && got != "elmo-telemetry" {
				t.Errorf("$lib = %v, want elmo-telemetry", got)
			}
			req := srv.Requests()[0]
			if got := req.Header.Get("User-Agent"); !strings.HasPrefix(got, "elmo-telemetry/") {
				t.Errorf("User-Agent = %q, want elmo-telemetry/<version>", got)
			}
			if got := req.Header.Get("PostHog-Sdk-Info"); api == exporter.CaptureV1 && !strings.HasPrefix(got, "elmo-telemetry/") {
				t.Errorf("PostHog-Sdk-Info = %q, want elmo-telemetry/<version>", got)
			}
			if got := srv.Requests()[0].Path; api == exporter.CaptureV1 && got != posthogtest.V1Path {
				t.Errorf("sent to %s, want %s", got, posthogtest.V1Path)
			}
		})
	}
}

// With v1, only the events the server asks to retry are sent again, under
// the same request ID with the attempt counting up; events it accepted or
// dropped are not; uuids and timestamps never change.
func TestV1PerEventResults(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.Script(posthogtest.Partial(posthogtest.ResultRetry, posthogtest.ResultOK, posthogtest.ResultDrop))
	c := newClient(t, srv, exporter.WithCaptureAPI(exporter.CaptureV1))
	evs := []exporter.Event{captureEvent("a", 0), captureEvent("b", 0), captureEvent("c", 0)}
	c.Enqueue(evs...)
	shutdown(t, c)

	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (the batch, then its retry event)", len(reqs))
	}
	if a, b := reqs[0].Header.Get("PostHog-Request-Id"), reqs[1].Header.Get("PostHog-Request-Id"); a == "" || a != b {
		t.Errorf("request IDs %q and %q, want one ID kept across attempts", a, b)
	}
	if a, b := reqs[0].Header.Get("PostHog-Attempt"), reqs[1].Header.Get("PostHog-Attempt"); a != "1" || b != "2" {
		t.Errorf("attempts %q, %q; want 1, 2", a, b)
	}
	if got := reqs[1].Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization = %q", got)
	}
	first, retry := requestEvents(t, reqs[0]), requestEvents(t, reqs[1])
	if len(retry) != 1 {
		t.Fatalf("the retry carried %d events, want only the one marked retry", len(retry))
	}
	if retry[0]["uuid"] != first[0]["uuid"] || retry[0]["timestamp"] != first[0]["timestamp"] {
		t.Errorf("retried event %v %v, first sent as %v %v", retry[0]["uuid"], retry[0]["timestamp"], first[0]["uuid"], first[0]["timestamp"])
	}
	if got := posthogtest.Names(srv.Events()); len(got) != 2 {
		t.Errorf("accepted %v, want a and b", got)
	}
	if st := c.Stats(); st.Delivered != 2 || st.Rejected != 1 || st.Undelivered != 0 {
		t.Errorf("stats %+v, want 2 delivered and 1 rejected", st)
	}
}

// Statuses that retrying cannot fix are not retried; with v1, 429 is one of
// them, and its events stay undelivered (a later run may send them) rather
// than rejected.
func TestTerminalStatuses(t *testing.T) {
	tests := []struct {
		api             exporter.CaptureAPI
		status          int
		wantRequests    int
		wantRejected    uint64
		wantUndelivered int
	}{
		{exporter.CaptureLegacy, 400, 1, 1, 0},
		{exporter.CaptureV1, 400, 1, 1, 0},
		{exporter.CaptureV1, 401, 1, 1, 0},
		{exporter.CaptureV1, 429, 1, 0, 1},
		{exporter.CaptureLegacy, 429, 2, 0, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.api, " ", tt.status), func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.Script(posthogtest.Respond(tt.status))
			hook := &undeliveredHook{}
			c := newClient(t, srv, exporter.WithCaptureAPI(tt.api), exporter.WithUndelivered(hook.add))
			c.Enqueue(captureEvent("a", 0))
			_ = c.Shutdown(waitCtx(t))
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
			if st := c.Stats(); st.Rejected != tt.wantRejected {
				t.Errorf("stats %+v, want %d rejected", st, tt.wantRejected)
			}
			if n := len(hook.got()); n != tt.wantUndelivered {
				t.Errorf("%d events reported undelivered, want %d", n, tt.wantUndelivered)
			}
		})
	}
}

// A batch refused as too large is split and its halves sent on their own;
// a single event refused as too large is dropped and counted, never
// reported undelivered (so never spooled).
func TestRequestEntityTooLarge(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			srv := posthogtest.NewServer(posthogtest.WithMaxBodySize(4 << 10))
			defer srv.Close()
			hook := &undeliveredHook{}
			c := newClient(t, srv, exporter.WithCaptureAPI(api), exporter.WithUndelivered(hook.add),
				exporter.WithCompression(false))
			var small []exporter.Event
			for i := range 8 {
				small = append(small, captureEvent(fmt.Sprint("small", i), 900))
			}
			c.Enqueue(small...)
			c.Enqueue(captureEvent("huge", 8<<10))
			_ = c.Shutdown(waitCtx(t))

			if got := srv.Events(); len(got) != len(small) {
				t.Errorf("accepted %v, want the %d small events", posthogtest.Names(got), len(small))
			}
			if st := c.Stats(); st.Delivered != uint64(len(small)) || st.Rejected != 1 || st.Undelivered != 0 {
				t.Errorf("stats %+v, want %d delivered and the huge one rejected", st, len(small))
			}
			if got := hook.got(); len(got) != 0 {
				t.Errorf("%d events reported undelivered, want none", len(got))
			}
			tooLarge := 0
			for _, r := range srv.Requests() {
				if r.Status == 413 {
					tooLarge++
				}
			}
			if tooLarge == 0 {
				t.Error("the server never answered 413: the test did not test splitting")
			}
		})
	}
}

// The server's Retry-After is honoured before a retry, with both APIs,
// whether it comes with a 503 or with a v1 partial result.
func TestRetryAfterBothAPIs(t *testing.T) {
	tests := []struct {
		name  string
		api   exporter.CaptureAPI
		first posthogtest.Response
	}{
		{"legacy 503", exporter.CaptureLegacy, posthogtest.RespondRetryAfter(503, time.Second)},
		{"v1 503", exporter.CaptureV1, posthogtest.RespondRetryAfter(503, time.Second)},
		{"v1 partial", exporter.CaptureV1, posthogtest.Partial(posthogtest.ResultRetry).WithRetryAfter(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.Script(tt.first)
			c := newClient(t, srv, exporter.WithCaptureAPI(tt.api))
			c.Enqueue(captureEvent("a", 0))
			shutdown(t, c)
			reqs := srv.Requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			// A lower bound only: the retry may come later, never sooner.
			if gap := reqs[1].Time.Sub(reqs[0].Time); gap < time.Second {
				t.Errorf("retried after %v, before the server's Retry-After of 1s", gap)
			}
		})
	}
}

// logBuffer is a slog handler's output that tests read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSpace(l.buf.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// A Client logs nothing when nothing was lost, and logs an outage as two
// changes of state: unreachable (with the reason) and reachable again
// (with counts), never a line per batch.
func TestDeliveryLogs(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String()+"/clean", func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			logs := &logBuffer{}
			c := newClient(t, srv, exporter.WithCaptureAPI(api),
				exporter.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
			for i := range 20 {
				c.Enqueue(captureEvent(fmt.Sprint("e", i), 0))
			}
			shutdown(t, c)
			if got := logs.lines(); len(got) != 0 {
				t.Errorf("logged %q, want nothing", got)
			}
		})
		t.Run(api.String()+"/outage", func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.Script(posthogtest.Respond(503), posthogtest.Respond(503), posthogtest.Respond(503))
			logs := &logBuffer{}
			c := newClient(t, srv, exporter.WithCaptureAPI(api),
				exporter.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
			for i := range 5 {
				c.Enqueue(captureEvent(fmt.Sprint("e", i), 0))
			}
			shutdown(t, c)
			got := logs.lines()
			if len(got) != 2 {
				t.Fatalf("logged %d lines, want 2:\n%s", len(got), strings.Join(got, "\n"))
			}
			if !strings.Contains(got[0], "cannot reach PostHog") || !strings.Contains(got[0], "503") {
				t.Errorf("first line %q, want the outage and its reason", got[0])
			}
			if !strings.Contains(got[1], "reachable again") || !strings.Contains(got[1], "delivered_late=5") || !strings.Contains(got[1], "dropped=0") {
				t.Errorf("second line %q, want the recovery with its counts", got[1])
			}
		})
	}
}

// An event the v1 answer leaves out is taken as accepted, as PostHog's
// clients do, rather than left waiting for an outcome.
func TestV1OmittedResultIsAccepted(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.Script(posthogtest.Partial(posthogtest.ResultOmitted, posthogtest.ResultOK))
	hook := &undeliveredHook{}
	c := newClient(t, srv, exporter.WithCaptureAPI(exporter.CaptureV1), exporter.WithUndelivered(hook.add))
	c.Enqueue(captureEvent("a", 0), captureEvent("b", 0))
	if err := c.Flush(waitCtx(t)); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Delivered != 2 || st.Held != 0 {
		t.Errorf("stats %+v, want both delivered and nothing held", st)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	shutdown(t, c)
}

// Once Shutdown has begun, a connection the server refuses is not
// retried: the events are undelivered at once, with either capture API,
// and a CLI spools them instead of spending its exit budget on retries.
func TestShutdownDoesNotRetryARefusedConnection(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			host := "http://" + l.Addr().String()
			l.Close()
			var hook undeliveredHook
			c, err := exporter.NewClient(exporter.WithHost(host), exporter.WithAPIKey(testKey),
				exporter.WithCaptureAPI(api), exporter.WithFlushInterval(time.Hour), exporter.WithUndelivered(hook.add))
			if err != nil {
				t.Fatal(err)
			}
			c.Enqueue(captureEvent("a", 0))
			var ue *exporter.UndeliveredError
			if err := c.Shutdown(waitCtx(t)); !errors.As(err, &ue) || len(ue.Events) != 1 {
				t.Fatalf("Shutdown: %v, want the event undelivered", err)
			}
			if st := c.Stats(); st.Retried != 0 || st.Undelivered != 1 {
				t.Errorf("stats %+v, want no retry and 1 undelivered", st)
			}
			if got := hook.got(); len(got) != 1 {
				t.Errorf("the undelivered hook got %d events, want 1", len(got))
			}
		})
	}
}
