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
			defer shutdown(t, c)
			if err := c.Send(waitCtx(t), captureEvent("cli_version", 0)); err != nil {
				t.Fatal(err)
			}
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
	defer shutdown(t, c)
	evs := []exporter.Event{captureEvent("a", 0), captureEvent("b", 0), captureEvent("c", 0)}
	err := c.Send(waitCtx(t), evs...)
	var se *exporter.SendError
	if !errors.As(err, &se) || !errors.Is(err, exporter.ErrRejected) || se.Rejected != 1 || len(se.Undelivered) != 0 {
		t.Fatalf("Send = %v, want c refused for good and nothing to send again", err)
	}

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
// them, and its events come back undelivered (a later Send may deliver
// them) rather than rejected.
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
			c := newClient(t, srv, exporter.WithCaptureAPI(tt.api))
			defer shutdown(t, c)
			err := c.Send(waitCtx(t), captureEvent("a", 0))
			if got := len(undelivered(err)); got != tt.wantUndelivered {
				t.Errorf("Send = %v, want %d events undelivered", err, tt.wantUndelivered)
			}
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
			if st := c.Stats(); st.Rejected != tt.wantRejected {
				t.Errorf("stats %+v, want %d rejected", st, tt.wantRejected)
			}
		})
	}
}

// undelivered returns the events err names as undelivered, if any.
func undelivered(err error) []exporter.Event {
	var se *exporter.SendError
	if !errors.As(err, &se) {
		return nil
	}
	return se.Undelivered
}

// A batch refused as too large is split and its halves sent on their own;
// a single event refused as too large is refused for good and counted,
// never returned undelivered (so never spooled).
func TestRequestEntityTooLarge(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			srv := posthogtest.NewServer(posthogtest.WithMaxBodySize(4 << 10))
			defer srv.Close()
			c := newClient(t, srv, exporter.WithCaptureAPI(api), exporter.WithCompression(false))
			defer shutdown(t, c)
			var small []exporter.Event
			for i := range 8 {
				small = append(small, captureEvent(fmt.Sprint("small", i), 900))
			}
			err := c.Send(waitCtx(t), append(small, captureEvent("huge", 8<<10))...)
			var se *exporter.SendError
			if !errors.As(err, &se) || !errors.Is(err, exporter.ErrRejected) || se.Rejected != 1 || len(se.Undelivered) != 0 {
				t.Errorf("Send = %v, want the huge event refused and nothing undelivered", err)
			}
			if got := srv.Events(); len(got) != len(small) {
				t.Errorf("accepted %v, want the %d small events", posthogtest.Names(got), len(small))
			}
			if st := c.Stats(); st.Delivered != uint64(len(small)) || st.Rejected != 1 || st.Undelivered != 0 {
				t.Errorf("stats %+v, want %d delivered and the huge one rejected", st, len(small))
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
			defer shutdown(t, c)
			if err := c.Send(waitCtx(t), captureEvent("a", 0)); err != nil {
				t.Fatal(err)
			}
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
// (with counts), never a line per batch or per retry.
func TestDeliveryLogs(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String()+"/clean", func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			logs := &logBuffer{}
			c := newClient(t, srv, exporter.WithCaptureAPI(api), exporter.WithBatchSize(5),
				exporter.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
			var evs []exporter.Event
			for i := range 20 {
				evs = append(evs, captureEvent(fmt.Sprint("e", i), 0))
			}
			if err := c.Send(waitCtx(t), evs...); err != nil {
				t.Fatal(err)
			}
			shutdown(t, c)
			if got := logs.lines(); len(got) != 0 {
				t.Errorf("logged %q, want nothing", got)
			}
		})
		t.Run(api.String()+"/outage within one Send", func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.Script(posthogtest.Respond(503), posthogtest.Respond(503), posthogtest.Respond(503))
			logs := &logBuffer{}
			c := newClient(t, srv, exporter.WithCaptureAPI(api),
				exporter.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
			var evs []exporter.Event
			for i := range 5 {
				evs = append(evs, captureEvent(fmt.Sprint("e", i), 0))
			}
			if err := c.Send(waitCtx(t), evs...); err != nil {
				t.Fatal(err)
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

// An outage that spans several Sends through a Backlog is logged once
// when it starts and once at the end of the first Send that reaches the
// server again. delivered_late counts the events earlier Sends returned
// undelivered; dropped counts only what was really lost (the events the
// Backlog let go when full), never what was returned to be sent again.
func TestOutageLogsAcrossSends(t *testing.T) {
	tests := []struct {
		name        string
		backlog     int
		wantLate    int
		wantDropped int
	}{
		{"nothing lost", 10, 4, 0},
		{"the backlog overflowed", 2, 2, 2},
	}
	for _, api := range captureAPIs {
		for _, tt := range tests {
			t.Run(api.String()+"/"+tt.name, func(t *testing.T) {
				srv := posthogtest.NewServer()
				defer srv.Close()
				srv.SetDefault(posthogtest.Respond(503))
				logs := &logBuffer{}
				c := newClient(t, srv, exporter.WithCaptureAPI(api), exporter.WithMaxRetries(0),
					exporter.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
				b, err := exporter.NewBacklog(c, tt.backlog)
				if err != nil {
					t.Fatal(err)
				}
				for i := range 4 {
					if err := b.Send(waitCtx(t), captureEvent(fmt.Sprint("outage", i), 0)); err == nil {
						t.Fatal("Send succeeded while the server answers 503")
					}
				}
				if got := logs.lines(); len(got) != 1 || !strings.Contains(got[0], "cannot reach PostHog") {
					t.Fatalf("during the outage logged %q, want one line saying PostHog cannot be reached", got)
				}

				srv.SetDefault(posthogtest.Accept())
				if err := b.Send(waitCtx(t), captureEvent("after", 0)); err != nil {
					t.Fatal(err)
				}
				got := logs.lines()
				if len(got) != 2 {
					t.Fatalf("logged %d lines, want 2:\n%s", len(got), strings.Join(got, "\n"))
				}
				want := fmt.Sprintf("delivered_late=%d dropped=%d", tt.wantLate, tt.wantDropped)
				if !strings.Contains(got[1], "reachable again") || !strings.Contains(got[1], want) {
					t.Errorf("second line %q, want the recovery with %s", got[1], want)
				}
				if st := c.Stats(); st.DeliveredLate != uint64(tt.wantLate) || st.Dropped != uint64(tt.wantDropped) {
					t.Errorf("stats %+v, want %d delivered late and %d dropped", st, tt.wantLate, tt.wantDropped)
				}
				// A later Send, with the server up, logs nothing more.
				if err := b.Send(waitCtx(t), captureEvent("later", 0)); err != nil {
					t.Fatal(err)
				}
				if got := logs.lines(); len(got) != 2 {
					t.Errorf("logged %d lines after the recovery, want still 2", len(got))
				}
				shutdown(t, c)
			})
		}
	}
}

// An event the v1 answer leaves out is taken as accepted, as PostHog's
// clients do, rather than left waiting for an outcome.
func TestV1OmittedResultIsAccepted(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.Script(posthogtest.Partial(posthogtest.ResultOmitted, posthogtest.ResultOK))
	c := newClient(t, srv, exporter.WithCaptureAPI(exporter.CaptureV1))
	defer shutdown(t, c)
	if err := c.Send(waitCtx(t), captureEvent("a", 0), captureEvent("b", 0)); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Delivered != 2 || st.Undelivered != 0 {
		t.Errorf("stats %+v, want both delivered", st)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// A connection the server refuses is retried as any network error, up to
// WithMaxRetries, and the events then come back undelivered, with either
// capture API: the caller decides whether to keep them.
func TestRefusedConnectionIsUndelivered(t *testing.T) {
	for _, api := range captureAPIs {
		t.Run(api.String(), func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			host := "http://" + l.Addr().String()
			l.Close()
			c, err := exporter.NewClient(exporter.WithHost(host), exporter.WithAPIKey(testKey),
				exporter.WithCaptureAPI(api), exporter.WithMaxRetries(1))
			if err != nil {
				t.Fatal(err)
			}
			defer shutdown(t, c)
			ev := captureEvent("a", 0)
			err = c.Send(waitCtx(t), ev)
			var se *exporter.SendError
			if !errors.As(err, &se) || errors.Is(err, exporter.ErrRejected) || len(se.Undelivered) != 1 || se.Undelivered[0].UUID != ev.UUID {
				t.Fatalf("Send = %v, want the event undelivered", err)
			}
			if st := c.Stats(); st.Retried != 1 || st.Undelivered != 1 || st.Dropped != 0 {
				t.Errorf("stats %+v, want one retry, 1 undelivered, nothing dropped", st)
			}
		})
	}
}
