package exporter

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/posthog/posthog-go"
)

// maxRetryWait caps a single wait between attempts, Retry-After included,
// as posthog-go does.
const maxRetryWait = 30 * time.Second

// retryTransport sends a capture request again after a network error, a
// 5xx, a 408 or a 429, waiting with exponential backoff or as long as the
// server's Retry-After asks, whichever is longer. It never retries another
// 4xx. Every wait ends with the request's context, which posthog-go cancels
// when a close runs out of time, so nothing outlives a shutdown.
//
// When the server refuses a batch for good, the transport reads the UUIDs of
// its events from the request body and reports them, so the Client can count
// them as rejected rather than undelivered: posthog-go's failure callback
// does not say which status the server gave.
type retryTransport struct {
	base        http.RoundTripper
	maxAttempts int
	backoff     *posthog.Backoff
	rejected    func(uuids []string)
	retried     atomic.Uint64
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			if req.GetBody == nil {
				return nil, errors.New("posthog exporter: request body cannot be replayed for a retry")
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("posthog exporter: replaying request body: %w", err)
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		res, err := t.base.RoundTrip(r)

		retry, wait := false, time.Duration(0)
		switch {
		case err != nil:
			retry = ctx.Err() == nil
		case retryableStatus(res.StatusCode):
			retry = true
			wait = retryAfter(res.Header.Get("Retry-After"), time.Now())
		case res.StatusCode == http.StatusRequestEntityTooLarge:
			// Sending the same batch again gets the same answer, but its
			// events may well be accepted in smaller batches: leave them
			// undelivered rather than rejected.
		case res.StatusCode >= 400:
			t.reportRejected(req)
		}
		if !retry || attempt+1 >= t.maxAttempts {
			return res, err
		}
		if res != nil {
			// Drain a little so the connection can be reused.
			_, _ = io.CopyN(io.Discard, res.Body, 4<<10)
			res.Body.Close()
		}

		wait = min(max(wait, t.backoff.Duration(attempt)), maxRetryWait)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("posthog exporter: giving up before retry %d: %w", attempt+1, ctx.Err())
		}
		t.retried.Add(1)
	}
}

// CloseIdleConnections closes the base transport's idle connections.
func (t *retryTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// retryableStatus reports whether the same request may succeed if sent
// again.
func retryableStatus(code int) bool {
	switch {
	case code >= 500:
		return true
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
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

// reportRejected tells the Client which events a refused batch held.
func (t *retryTransport) reportRejected(req *http.Request) {
	if t.rejected == nil || req.GetBody == nil {
		return
	}
	body, err := req.GetBody()
	if err != nil {
		return
	}
	defer body.Close()
	var r io.Reader = body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return
		}
		r = zr
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return
	}
	var b struct {
		Batch []struct {
			UUID string `json:"uuid"`
		} `json:"batch"`
	}
	if json.NewDecoder(bytes.NewReader(raw)).Decode(&b) != nil {
		return
	}
	ids := make([]string, len(b.Batch))
	for i, e := range b.Batch {
		ids[i] = e.UUID
	}
	t.rejected(ids)
}
