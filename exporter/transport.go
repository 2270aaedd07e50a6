package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/elmohq/telemetry/internal/pipeline/retryafter"
)

// outcome is what happened to one event in a request.
type outcome uint8

const (
	// outcomeDelivered: the server acknowledged the event.
	outcomeDelivered outcome = iota + 1
	// outcomeRejected: the server refused the event for good.
	outcomeRejected
)

// transport delivers the Client's batches to PostHog. It turns one batch
// into a delivery:
//
//   - it builds the body of the capture API in use and compresses it when
//     it is large enough;
//   - it sends the request again after a network error or a retryable
//     status, waiting with exponential backoff or as long as the server's
//     Retry-After asks (clamped to maxRetryWait), whichever is longer;
//   - with the v1 capture API it honours per-event results (only events
//     marked retry are sent again), keeps PostHog-Request-Id across the
//     attempts of a request and counts PostHog-Attempt up; 429 is terminal,
//     as in PostHog's clients;
//   - a batch refused as too large (413) is split and its halves sent on
//     their own; a single event refused as too large is rejected.
//
// Every wait ends with the delivery's context, so nothing outlives the
// Send that started it. Events the server acknowledged or refused are
// reported as soon as the server says so; whatever is left when deliver
// returns was not delivered, for the reason deliver returns.
type transport struct {
	base        http.RoundTripper
	host        string
	apiKey      string
	v1          bool
	historical  bool
	maxAttempts int
	gzipMin     int                  // the smallest body compressed; -1: never
	record      func([]Sent, []Drop) // nil unless WithDeliveryRecord
	health      *health
	retried     atomic.Uint64

	legacyEnv []byte // the start of every legacy body

	clientOnce sync.Once
	client     *http.Client // over base; see httpClient
}

// reportFunc receives the outcome of events as soon as the server says it;
// afterFailure says that an earlier attempt of the same request failed.
type reportFunc func(events []wireEvent, o outcome, afterFailure bool)

// deliver sends events as one batch, with retries and splits, until each
// is acknowledged or refused, attempts run out or ctx ends. It returns why
// the events not passed to report were not delivered.
func (s *transport) deliver(ctx context.Context, events []wireEvent, report reportFunc) error {
	if s.v1 {
		return s.v1Batch(ctx, events, uuid.NewString(), report)
	}
	return s.legacyBatch(ctx, events, report)
}

// statusError is a status that did not deliver the events, with the
// wait the server asked for before the next attempt, if any.
type statusError struct {
	code       int
	retryAfter time.Duration
}

// newStatusError returns the statusError of res.
func newStatusError(res *response) *statusError {
	return &statusError{code: res.status, retryAfter: retryafter.Parse(res.header.Get("Retry-After"), time.Now(), maxRetryWait)}
}

func (e *statusError) Error() string {
	return fmt.Sprintf("posthog exporter: the server answered %d %s", e.code, http.StatusText(e.code))
}

// legacyBatch delivers events to /batch/, where the server accepts or
// refuses a batch as a whole.
func (s *transport) legacyBatch(ctx context.Context, events []wireEvent, report reportFunc) error {
	body, err := s.compress(batchBody(s.legacyEnv, events))
	if err != nil {
		return fmt.Errorf("posthog exporter: compressing the batch: %w", err)
	}
	failed := false
	for attempt := 0; ; attempt++ {
		res, err := s.send(ctx, legacyPath, body, nil)
		switch {
		case err != nil:
			s.health.failed(err)
		case res.ok():
			s.health.reached()
			// Recorded before the events are settled, so that a flush
			// that returns finds them in the record.
			s.recordSent(events)
			report(events, outcomeDelivered, failed)
			return nil
		case res.status == http.StatusRequestEntityTooLarge:
			s.health.reached()
			if len(events) == 1 {
				report(events, outcomeRejected, failed)
				return nil
			}
			half := len(events) / 2
			errA := s.legacyBatch(ctx, events[:half], report)
			errB := s.legacyBatch(ctx, events[half:], report)
			if errB != nil {
				return errB
			}
			return errA
		case retryableStatus(res.status):
			err = newStatusError(res)
			s.health.failed(err)
		default:
			// Any other 4xx: retrying cannot fix it.
			s.health.reached()
			report(events, outcomeRejected, failed)
			return nil
		}
		failed = true
		if gaveUp := s.retry(ctx, attempt, res, err); gaveUp != nil {
			return gaveUp
		}
	}
}

// v1Result is one event's result in a v1 answer.
type v1Result struct {
	Result string `json:"result"`
}

// v1Batch delivers events as one v1 request with ID reqID.
func (s *transport) v1Batch(ctx context.Context, events []wireEvent, reqID string, report reportFunc) error {
	env := v1Envelope(time.Now(), s.historical)
	pending := events
	failed := false
	for attempt := 0; ; attempt++ {
		body, err := s.compress(batchBody(env, pending))
		if err != nil {
			return fmt.Errorf("posthog exporter: compressing the batch: %w", err)
		}
		res, err := s.send(ctx, v1Path, body, func(h http.Header) {
			h.Set("Authorization", "Bearer "+s.apiKey)
			h.Set("PostHog-Sdk-Info", sdkInfo())
			h.Set("PostHog-Request-Id", reqID)
			h.Set("PostHog-Attempt", strconv.Itoa(attempt+1))
			h.Set("PostHog-Request-Timestamp", time.Now().UTC().Format(time.RFC3339))
		})
		switch {
		case err != nil:
			s.health.failed(err)
		case res.ok():
			var parsed struct {
				Results map[string]v1Result `json:"results"`
			}
			if err := json.Unmarshal(res.body, &parsed); err != nil {
				// A success whose results cannot be read is an
				// acknowledgement all the same, as PostHog's clients take
				// it: they do not send it again, which could only
				// duplicate, and neither does a caller that keeps
				// undelivered events.
				s.health.reached()
				s.recordSent(pending)
				report(pending, outcomeDelivered, failed)
				return nil
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
			s.health.reached()
			s.recordSent(ok)
			report(ok, outcomeDelivered, failed)
			report(drop, outcomeRejected, failed)
			if len(next) == 0 {
				return nil
			}
			pending = next
			err = fmt.Errorf("posthog exporter: the server asked to retry %d events", len(next))
		case res.status == http.StatusRequestEntityTooLarge:
			s.health.reached()
			if len(pending) == 1 {
				report(pending, outcomeRejected, failed)
				return nil
			}
			half := len(pending) / 2
			errA := s.v1Batch(ctx, pending[:half], uuid.NewString(), report)
			errB := s.v1Batch(ctx, pending[half:], uuid.NewString(), report)
			return errors.Join(errA, errB)
		case retryableStatusV1(res.status):
			err = newStatusError(res)
			s.health.failed(err)
		case res.status == http.StatusTooManyRequests:
			// Terminal for this request, as in PostHog's clients, but the
			// events may be accepted later: they stay undelivered.
			s.health.reached()
			return newStatusError(res)
		default:
			s.health.reached()
			report(pending, outcomeRejected, failed)
			return nil
		}
		failed = true
		if gaveUp := s.retry(ctx, attempt, res, err); gaveUp != nil {
			return gaveUp
		}
	}
}

// gzipMinSize is, by default, the smallest body worth compressing. Below
// it gzip saves a few hundred bytes at most, and costs a short-lived CLI
// run more time (setting up the compressor) than sending them.
const gzipMinSize = 4 << 10

// compress gzips b when compression is on and b is at least s.gzipMin
// long.
func (s *transport) compress(b []byte) ([]byte, error) {
	if s.gzipMin < 0 || len(b) < s.gzipMin {
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

// gzipped reports whether body is gzip data (a JSON body starts with "{").
func gzipped(body []byte) bool {
	return len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b
}

// response is the part of an answer the sender keeps.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

// send makes one attempt: it POSTs body to path, with the headers every
// request has and those set by headers, and reads the whole answer.
func (s *transport) send(ctx context.Context, path string, body []byte, headers func(http.Header)) (*response, error) {
	url := s.host + path
	zipped := gzipped(body)
	if zipped && !s.v1 {
		url += "?compression=gzip"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("posthog exporter: building the request: %w", err)
	}
	req.Header.Set("User-Agent", sdkInfo())
	req.Header.Set("Content-Type", "application/json")
	if zipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if headers != nil {
		headers(req.Header)
	}
	res, err := s.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &response{status: res.StatusCode, header: res.Header, body: b}, nil
}

// retry follows failed attempt number attempt, whose answer (if any) was
// res and whose error was err: it waits for the next attempt and returns
// nil, or returns the error to give up with when ctx has ended or attempts
// have run out.
func (s *transport) retry(ctx context.Context, attempt int, res *response, err error) error {
	if ctx.Err() != nil || attempt+1 >= s.maxAttempts {
		return err
	}
	return s.wait(ctx, attempt, res)
}

// wait sleeps before retry attempt+1, or returns the context's error. res
// is the last answer, if any.
func (s *transport) wait(ctx context.Context, attempt int, res *response) error {
	var h http.Header
	if res != nil {
		h = res.header
	}
	timer := time.NewTimer(retryDelay(attempt, h, time.Now()))
	defer timer.Stop()
	select {
	case <-timer.C:
		s.retried.Add(1)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("posthog exporter: giving up before retry %d: %w", attempt+1, ctx.Err())
	}
}

// retryDelay is how long to wait before retry attempt+1: the backoff, or
// the server's Retry-After when longer, never more than maxRetryWait.
func retryDelay(attempt int, header http.Header, now time.Time) time.Duration {
	var ra time.Duration
	if header != nil {
		ra = retryafter.Parse(header.Get("Retry-After"), now, maxRetryWait)
	}
	return min(max(ra, backoff(attempt)), maxRetryWait)
}

// maxRedirects bounds the redirects one attempt follows.
const maxRedirects = 5

// httpClient returns the client requests go through: the base transport,
// following a redirect only when it keeps the method and the body.
func (s *transport) httpClient() *http.Client {
	s.clientOnce.Do(func() {
		s.client = &http.Client{Transport: s.base, CheckRedirect: keepPost}
	})
	return s.client
}

// keepPost lets a request follow a 307 or 308 redirect, which repeats the
// POST with its body at the new location (a proxy in front of the capture
// endpoint may answer one), up to maxRedirects. Any other redirect would
// turn the POST into a GET without the events: its answer is returned as
// it is, and the events are refused as with any other status that cannot
// succeed.
func keepPost(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects || req.Response == nil {
		return http.ErrUseLastResponse
	}
	switch req.Response.StatusCode {
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return nil
	}
	return http.ErrUseLastResponse
}

// closeIdleConnections closes the base transport's idle connections.
func (s *transport) closeIdleConnections() {
	if c, ok := s.base.(interface{ CloseIdleConnections() }); ok {
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
// again; narrower than legacy, as in PostHog's clients: 429 is terminal.
func retryableStatusV1(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
