package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/posthog/posthog-go"
)

// maxRetryWait caps a single wait between attempts, Retry-After included,
// as posthog-go does.
const maxRetryWait = 30 * time.Second

// v1Path is the path of PostHog's v1 capture API.
const v1Path = "/i/v1/analytics/events"

// systemProperties are the properties posthog-go merges into every event
// when it serializes it, after any hook could remove them. The catalog's
// os and runtime_version say the same, so they are removed on the wire.
var systemProperties = []string{"$os", "$os_version", "$os_distro", "$go_version"}

// outcome is what happened to one event in a request.
type outcome uint8

const (
	// outcomeDelivered: the server acknowledged the event.
	outcomeDelivered outcome = iota + 1
	// outcomeRejected: the server refused the event for good.
	outcomeRejected
)

// retryTransport is the delivery layer under posthog-go. posthog-go batches
// and serializes events and makes one attempt per batch; this transport
// turns that attempt into a delivery:
//
//   - it removes posthog-go's system properties from every event and
//     compresses the body;
//   - it sends the request again after a network error or a retryable
//     status, waiting with exponential backoff or as long as the server's
//     Retry-After asks (clamped to maxRetryWait), whichever is longer;
//   - with the v1 capture API it honours per-event results (only events
//     marked retry are sent again), keeps PostHog-Request-Id across the
//     attempts of a request and counts PostHog-Attempt up; 429 is terminal,
//     as in posthog-go;
//   - a batch refused as too large (413) is split and its halves sent on
//     their own; a single event refused as too large is rejected;
//   - once the Client shuts down, a request that cannot connect (the
//     server refuses the connection, say) is not retried: the events are
//     reported undelivered at once, for the spool.
//
// Every wait ends with the request's context, which posthog-go cancels when
// a close runs out of time, so nothing outlives a shutdown. What happened to
// each event is reported through outcomes before posthog-go learns the
// request's result, so the Client counts it correctly whatever posthog-go
// reports.
type retryTransport struct {
	base        http.RoundTripper
	maxAttempts int
	backoff     *posthog.Backoff
	gzipMin     int // the smallest body compressed; -1: never
	outcomes    func(uuids []string, o outcome)
	record      func([]Sent, []Drop) // nil unless WithDeliveryRecord
	health      *health
	retried     atomic.Uint64
	// slots bounds the requests open at once: a batch takes a slot for
	// all its attempts.
	slots chan struct{}
	// final is set when the Client shuts down: a request that cannot
	// reach the server then is not sent again, so that its events are
	// reported undelivered (and spooled) at once instead of using up the
	// shutdown's time on a server that is not there.
	final atomic.Bool
}

// wireEvent is one serialized event of a batch.
type wireEvent struct {
	uuid string
	data json.RawMessage
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.slots != nil {
		select {
		case t.slots <- struct{}{}:
			defer func() { <-t.slots }()
		case <-req.Context().Done():
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, fmt.Errorf("posthog exporter: waiting for a free upload: %w", req.Context().Err())
		}
	}
	raw, err := readBody(req)
	if err != nil {
		return nil, fmt.Errorf("posthog exporter: reading the batch: %w", err)
	}
	raw, err = stripSystem(raw)
	if err != nil {
		return nil, fmt.Errorf("posthog exporter: removing the system properties: %w", err)
	}
	v1 := strings.HasSuffix(req.URL.Path, v1Path)

	// The first attempt sends the batch as posthog-go built it. Only when
	// it is not simply accepted are its events taken apart.
	body, err := t.compress(raw)
	if err != nil {
		return nil, fmt.Errorf("posthog exporter: compressing the batch: %w", err)
	}
	r := t.newRequest(req, body)
	reqID := req.Header.Get("PostHog-Request-Id")
	if v1 {
		if reqID == "" {
			reqID = uuid.NewString()
		}
		setV1Headers(r, reqID, 0)
	}
	res, sendErr := t.send(r)
	first := &attempt{res: res, err: sendErr}
	if sendErr == nil && res.ok() && (!v1 || settledV1(res.body, raw)) {
		t.health.ok(0, false)
		t.recordSentBody(raw)
		return res.httpResponse(req), nil
	}

	env, events, err := parseBatch(raw)
	if err != nil {
		if sendErr != nil {
			return nil, sendErr
		}
		return res.httpResponse(req), nil
	}
	if v1 {
		return t.deliverV1(req, env, events, reqID, first)
	}
	return t.deliverLegacy(req, env, events, body, first)
}

// attempt is the outcome of one request already sent.
type attempt struct {
	res *response
	err error
}

// setV1Headers sets the headers of attempt n (from 0) of a v1 request.
func setV1Headers(r *http.Request, reqID string, n int) {
	r.Header.Set("PostHog-Request-Id", reqID)
	r.Header.Set("PostHog-Attempt", strconv.Itoa(n+1))
	r.Header.Set("PostHog-Request-Timestamp", time.Now().UTC().Format(time.RFC3339))
}

// settledV1 reports whether a v1 answer gives every event of the batch
// raw a final result: none is asked to retry, and none is left out, which
// posthog-go would never report on. Otherwise the events are taken apart.
func settledV1(body, raw []byte) bool {
	if bytes.Contains(body, []byte(`"retry"`)) {
		return false
	}
	var parsed struct {
		Results map[string]json.RawMessage `json:"results"`
	}
	if json.Unmarshal(body, &parsed) != nil {
		return false
	}
	// Each event has one uuid member; a property named uuid would make the
	// counts differ, which only costs the slower path.
	return len(parsed.Results) == bytes.Count(raw, []byte(`"uuid":"`))
}

// readBody returns req's body, decompressed if posthog-go compressed it.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	defer req.Body.Close()
	var r io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	return io.ReadAll(r)
}

// parseBatch splits a batch body into its envelope (every field but batch)
// and its events.
func parseBatch(raw []byte) (map[string]json.RawMessage, []wireEvent, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, nil, err
	}
	var batch []json.RawMessage
	if err := json.Unmarshal(env["batch"], &batch); err != nil {
		return nil, nil, err
	}
	delete(env, "batch")
	events := make([]wireEvent, len(batch))
	for i, m := range batch {
		var id struct {
			UUID string `json:"uuid"`
		}
		if err := json.Unmarshal(m, &id); err != nil {
			return nil, nil, err
		}
		events[i] = wireEvent{uuid: id.UUID, data: m}
	}
	return env, events, nil
}

// systemPatterns are the system properties as posthog-go serializes them
// in this process, such as "$os":"Linux": their values never change while
// the process runs. posthog-go builds them with its APIfy.
var systemPatterns = sync.OnceValue(func() [][]byte {
	api, ok := posthog.Capture{DistinctId: "x", Event: "x"}.APIfy().(posthog.CaptureInApi)
	if !ok {
		return nil
	}
	var pats [][]byte
	for _, k := range systemProperties {
		v, ok := api.Properties[k]
		if !ok {
			continue
		}
		kb, err1 := json.Marshal(k)
		vb, err2 := json.Marshal(v)
		if err1 == nil && err2 == nil {
			pats = append(pats, append(append(kb, ':'), vb...))
		}
	}
	return pats
})

// systemKeys are the system property keys as they appear in JSON.
var systemKeys = func() [][]byte {
	keys := make([][]byte, len(systemProperties))
	for i, k := range systemProperties {
		keys[i], _ = json.Marshal(k)
	}
	return keys
}()

// stripSystem removes posthog-go's system properties from a serialized
// batch. The fast way cuts each "key":value pair out of the bytes: in
// compact JSON such a sequence can only be an object member, since a
// quote inside a string is escaped. If any of the keys is left after that
// (posthog-go serialized a value differently), every event is decoded and
// cleaned one by one: when in doubt, nothing extra leaves.
func stripSystem(b []byte) ([]byte, error) {
	for _, p := range systemPatterns() {
		b = cutMembers(b, p)
	}
	for _, k := range systemKeys {
		if bytes.Contains(b, k) {
			return stripSlow(b)
		}
	}
	return b, nil
}

// cutMembers removes each object member m (a "key":value sequence) from b.
func cutMembers(b, m []byte) []byte {
	from := 0
	for {
		i := bytes.Index(b[from:], m)
		if i < 0 {
			return b
		}
		i += from
		end := i + len(m)
		if i == 0 || end >= len(b) {
			from = i + 1
			continue
		}
		prev, next := b[i-1], b[end]
		switch {
		case prev == ',' && (next == ',' || next == '}'):
			b = append(b[:i-1], b[end:]...)
			from = i - 1
		case prev == '{' && next == ',':
			b = append(b[:i], b[end+1:]...)
			from = i
		case prev == '{' && next == '}':
			b = append(b[:i], b[end:]...)
			from = i
		default:
			from = i + 1
		}
	}
}

// stripSlow removes the system properties by decoding each event.
func stripSlow(raw []byte) ([]byte, error) {
	env, events, err := parseBatch(raw)
	if err != nil {
		return nil, err
	}
	for i, ev := range events {
		var top map[string]json.RawMessage
		if err := json.Unmarshal(ev.data, &top); err != nil {
			return nil, err
		}
		var props map[string]json.RawMessage
		if err := json.Unmarshal(top["properties"], &props); err != nil || props == nil {
			continue
		}
		for _, k := range systemProperties {
			delete(props, k)
		}
		if top["properties"], err = json.Marshal(props); err != nil {
			return nil, err
		}
		if events[i].data, err = json.Marshal(top); err != nil {
			return nil, err
		}
	}
	return encodeBatch(env, events), nil
}

// encodeBatch builds an uncompressed batch body from env and events.
func encodeBatch(env map[string]json.RawMessage, events []wireEvent) []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for k, v := range env {
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(v)
		buf.WriteByte(',')
	}
	buf.WriteString(`"batch":[`)
	for i, ev := range events {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(ev.data)
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

// encode builds a request body from env and events.
func (t *retryTransport) encode(env map[string]json.RawMessage, events []wireEvent) ([]byte, error) {
	return t.compress(encodeBatch(env, events))
}

// gzipMinSize is, by default, the smallest body worth compressing. Below
// it gzip saves a few hundred bytes at most, and costs a short-lived CLI
// run more time (setting up the compressor) than sending them.
const gzipMinSize = 4 << 10

// compress gzips b when compression is on and b is at least t.gzipMin
// long.
func (t *retryTransport) compress(b []byte) ([]byte, error) {
	if t.gzipMin < 0 || len(b) < t.gzipMin {
		return b, nil
	}
	var zbuf bytes.Buffer
	zbuf.Grow(len(b) / 4)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&zbuf)
	_, _ = zw.Write(b)
	err := zw.Close()
	gzipWriters.Put(zw)
	return zbuf.Bytes(), err
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

// newRequest builds one attempt of a request like orig, carrying body.
func (t *retryTransport) newRequest(orig *http.Request, body []byte) *http.Request {
	r := orig.Clone(orig.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r.Header.Del("Content-Encoding")
	q := r.URL.Query()
	q.Del("compression")
	if gzipped(body) {
		r.Header.Set("Content-Encoding", "gzip")
		if !strings.HasSuffix(r.URL.Path, v1Path) {
			q.Set("compression", "gzip")
		}
	}
	u := *r.URL
	u.RawQuery = q.Encode()
	r.URL = &u
	return r
}

// unreachable reports whether err says the server could not be reached at
// all: no connection was made (refused, no route, no such host).
func unreachable(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// gzipped reports whether body is gzip data (a JSON body starts with "{").
func gzipped(body []byte) bool {
	return len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b
}

// response is the part of an answer the transport keeps.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send makes one attempt and reads the whole answer.
func (t *retryTransport) send(r *http.Request) (*response, error) {
	res, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &response{status: res.StatusCode, header: res.Header, body: body}, nil
}

// wait sleeps before retry attempt+1, or returns the context's error.
func (t *retryTransport) wait(ctx context.Context, attempt int, header http.Header) error {
	timer := time.NewTimer(t.retryDelay(attempt, header, time.Now()))
	defer timer.Stop()
	select {
	case <-timer.C:
		t.retried.Add(1)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("posthog exporter: giving up before retry %d: %w", attempt+1, ctx.Err())
	}
}

// retryDelay is how long to wait before retry attempt+1: the backoff, or
// the server's Retry-After when longer, never more than maxRetryWait.
func (t *retryTransport) retryDelay(attempt int, header http.Header, now time.Time) time.Duration {
	var ra time.Duration
	if header != nil {
		ra = retryAfter(header.Get("Retry-After"), now)
	}
	return min(max(ra, t.backoff.Duration(attempt)), maxRetryWait)
}

// deliverLegacy sends events to /batch/, where the server accepts or
// refuses a batch as a whole. The answer posthog-go sees is a success only
// when every event was delivered; otherwise the last failure.
func (t *retryTransport) deliverLegacy(orig *http.Request, env map[string]json.RawMessage, events []wireEvent, body []byte, first *attempt) (*http.Response, error) {
	res, err := t.legacyBatch(orig, env, events, body, first)
	if err != nil {
		return nil, err
	}
	return res.httpResponse(orig), nil
}

// legacyBatch delivers events, whose encoded body is body (nil: encode
// them), and whose first attempt, if already made, is first.
func (t *retryTransport) legacyBatch(orig *http.Request, env map[string]json.RawMessage, events []wireEvent, body []byte, first *attempt) (*response, error) {
	ctx := orig.Context()
	if body == nil {
		var err error
		if body, err = t.encode(env, events); err != nil {
			return nil, fmt.Errorf("posthog exporter: encoding the batch: %w", err)
		}
	}
	failed := false
	for attempt := 0; ; attempt++ {
		var (
			res *response
			err error
		)
		if first != nil {
			res, err, first = first.res, first.err, nil
		} else {
			res, err = t.send(t.newRequest(orig, body))
		}
		switch {
		case err != nil:
			t.health.failed(err)
		case res.status >= 200 && res.status < 300:
			t.health.ok(len(events), failed)
			t.report(events, outcomeDelivered)
			t.recordSent(events)
			return res, nil
		case res.status == http.StatusRequestEntityTooLarge:
			t.health.reached()
			if len(events) == 1 {
				t.report(events, outcomeRejected)
				return res, nil
			}
			half := len(events) / 2
			a, errA := t.legacyBatch(orig, env, events[:half], nil, nil)
			b, errB := t.legacyBatch(orig, env, events[half:], nil, nil)
			if errB != nil {
				return nil, errB
			}
			if errA != nil {
				return nil, errA
			}
			if !a.ok() {
				return a, nil
			}
			return b, nil
		case retryableStatus(res.status):
			t.health.failed(fmt.Errorf("the server answered %d", res.status))
		default:
			// Any other 4xx: retrying cannot fix it.
			t.health.reached()
			t.report(events, outcomeRejected)
			return res, nil
		}
		failed = true
		if ctx.Err() != nil || attempt+1 >= t.maxAttempts || (t.final.Load() && unreachable(err)) {
			if err != nil {
				return nil, err
			}
			return res, nil
		}
		var h http.Header
		if res != nil {
			h = res.header
		}
		if werr := t.wait(ctx, attempt, h); werr != nil {
			return nil, werr
		}
	}
}

// v1Result is one event's result in a v1 answer.
type v1Result struct {
	Result  string `json:"result"`
	Details string `json:"details,omitempty"`
}

// deliverV1 sends events to the v1 capture API and answers posthog-go with
// a 200 whose results say, for each event, ok (delivered), drop (refused
// for good) or retry (not delivered).
func (t *retryTransport) deliverV1(orig *http.Request, env map[string]json.RawMessage, events []wireEvent, reqID string, first *attempt) (*http.Response, error) {
	results := make(map[string]v1Result, len(events))
	if err := t.v1Batch(orig, env, events, reqID, results, first); err != nil && orig.Context().Err() != nil {
		return nil, err
	}
	body, err := json.Marshal(struct {
		Results map[string]v1Result `json:"results"`
	}{results})
	if err != nil {
		return nil, err
	}
	res := &response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: body}
	return res.httpResponse(orig), nil
}

// v1Batch delivers events as one request with ID reqID and records each
// event's result in results. first is its first attempt, if already made.
func (t *retryTransport) v1Batch(orig *http.Request, env map[string]json.RawMessage, events []wireEvent, reqID string, results map[string]v1Result, first *attempt) error {
	ctx := orig.Context()
	pending := events
	failed := false
	setAll := func(evs []wireEvent, r string, o outcome) {
		for _, ev := range evs {
			results[ev.uuid] = v1Result{Result: r}
		}
		if o != 0 {
			t.report(evs, o)
		}
	}
	// Until answered otherwise, every event is still to be retried.
	setAll(events, "retry", 0)
	for attempt := 0; ; attempt++ {
		var (
			res *response
			err error
		)
		if first != nil {
			res, err, first = first.res, first.err, nil
		} else {
			body, encErr := t.encode(env, pending)
			if encErr != nil {
				return fmt.Errorf("posthog exporter: encoding the batch: %w", encErr)
			}
			r := t.newRequest(orig, body)
			setV1Headers(r, reqID, attempt)
			res, err = t.send(r)
		}
		switch {
		case err != nil:
			t.health.failed(err)
		case res.status >= 200 && res.status < 300:
			var parsed struct {
				Results map[string]v1Result `json:"results"`
			}
			if err := json.Unmarshal(res.body, &parsed); err != nil {
				// A success that cannot be read is not retried, as in
				// posthog-go: sending it again could only duplicate.
				t.health.reached()
				return fmt.Errorf("posthog exporter: reading the v1 results: %w", err)
			}
			var next, ok, drop []wireEvent
			for _, ev := range pending {
				switch parsed.Results[ev.uuid].Result {
				case "retry":
					next = append(next, ev)
				case "drop":
					drop = append(drop, ev)
				default:
					// ok, warning, an unknown result or none: accepted.
					ok = append(ok, ev)
				}
			}
			t.health.ok(len(ok), failed)
			setAll(ok, "ok", outcomeDelivered)
			t.recordSent(ok)
			setAll(drop, "drop", outcomeRejected)
			if len(next) == 0 {
				return nil
			}
			pending = next
		case res.status == http.StatusRequestEntityTooLarge:
			t.health.reached()
			if len(pending) == 1 {
				setAll(pending, "drop", outcomeRejected)
				return nil
			}
			half := len(pending) / 2
			errA := t.v1Batch(orig, env, pending[:half], uuid.NewString(), results, nil)
			errB := t.v1Batch(orig, env, pending[half:], uuid.NewString(), results, nil)
			return errors.Join(errA, errB)
		case retryableStatusV1(res.status):
			t.health.failed(fmt.Errorf("the server answered %d", res.status))
		case res.status == http.StatusTooManyRequests:
			// Terminal for this request, as in posthog-go, but the events
			// may be accepted later: they stay undelivered.
			t.health.reached()
			return nil
		default:
			t.health.reached()
			setAll(pending, "drop", outcomeRejected)
			return nil
		}
		failed = true
		if ctx.Err() != nil || attempt+1 >= t.maxAttempts || (t.final.Load() && unreachable(err)) {
			return err
		}
		var h http.Header
		if res != nil {
			h = res.header
		}
		if werr := t.wait(ctx, attempt, h); werr != nil {
			return werr
		}
	}
}

// report passes the outcome of events to the Client.
func (t *retryTransport) report(events []wireEvent, o outcome) {
	if t.outcomes == nil || len(events) == 0 {
		return
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.uuid
	}
	t.outcomes(ids, o)
}

func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

// httpResponse turns r into the answer posthog-go reads.
func (r *response) httpResponse(req *http.Request) *http.Response {
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", r.status, http.StatusText(r.status)),
		StatusCode:    r.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        r.header,
		Body:          io.NopCloser(bytes.NewReader(r.body)),
		ContentLength: int64(len(r.body)),
		Request:       req,
	}
}

// CloseIdleConnections closes the base transport's idle connections.
func (t *retryTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// retryableStatus reports whether the same legacy request may succeed if
// sent again.
func retryableStatus(code int) bool {
	switch {
	case code >= 500:
		return true
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return true
	}
	return false
}

// retryableStatusV1 reports whether the same v1 request may succeed if sent
// again; narrower than legacy, as in posthog-go: 429 is terminal.
func retryableStatusV1(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter parses a Retry-After value, in seconds or as an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(secs)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
