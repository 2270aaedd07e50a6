package envexport

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/elmohq/telemetry/internal/pipeline/retryafter"
)

// This file is the delivery of the OTLP exporters, as the OTLP/HTTP
// specification asks of a sender:
//
//   - 429, 502, 503, 504 and network errors are retried, with exponential
//     backoff and jitter, or after the server's Retry-After (seconds or an
//     HTTP date) when that is longer, clamped to maxRetryWait; every other
//     answer that is not 2xx refuses the request for good: it is dropped,
//     counted, and the export returns the error;
//   - a partial success (rejected spans or data points) is logged once per
//     exporter, and not retried.
//
// An export encodes its data into one request and appends it to a bounded
// hold of requests not yet delivered, then sends the hold, oldest first,
// within its context and the export timeout. What the timeout leaves
// stays held for the next export, which sends it first: each request is
// its own delta snapshot, so a count held through an outage arrives once,
// in order, as soon as the endpoint answers. Past the bound the oldest
// requests are dropped, and counted. The backoff outlives an export: an
// export that comes before the next attempt is due waits for it when its
// timeout allows, and otherwise only adds its request to the hold, so an
// endpoint that is down sees the backoff's pace whatever the export
// interval. At Shutdown one last attempt is made within its context; what
// is still held then is lost, and counted in one log line.

// Bounds of the hold, per exporter.
const (
	defaultMaxHeld      = 256
	defaultMaxHeldBytes = 4 << 20
)

// Retry waits: the first backoff, doubled with each failed attempt, and
// the cap of any wait, Retry-After included.
const (
	defaultRetryBase = 500 * time.Millisecond
	maxRetryWait     = 30 * time.Second
)

// heldRequest is an encoded request not yet delivered.
type heldRequest struct {
	seq   uint64
	body  []byte // as sent: gzip-compressed when the exporter compresses
	items int    // the spans or data points it carries
}

// attemptResult is what one attempt to send a request came to.
type attemptResult int

const (
	delivered attemptResult = iota
	retryable               // may succeed later: the request stays held
	refused                 // refused for good: the request is dropped
	stopped                 // the context ended
)

// counts are requests and the spans or data points they carry.
type counts struct{ requests, items int }

func (n *counts) add(h heldRequest) { n.requests++; n.items += h.items }

// describe says n for the reader: "3 requests (12 data points)".
func (c *otlpClient) describe(n counts) string {
	return fmt.Sprintf("%s (%s)", plural(n.requests, "requests"), plural(n.items, c.kind))
}

// plural writes n things, with the singular of things for one.
func plural(n int, things string) string {
	if n == 1 {
		things = strings.TrimSuffix(things, "s")
	}
	return fmt.Sprintf("%d %s", n, things)
}

// export holds body, an encoded request that carries items spans or data
// points (nil for none), and sends what is held, oldest first, within ctx
// and the export timeout. It returns an error when anything remains held, or
// when the endpoint refused a request for good.
func (c *otlpClient) export(ctx context.Context, body []byte, items int) error {
	if body != nil {
		wire, err := c.encode(body)
		if err != nil {
			return err
		}
		if err := c.hold(wire, items); err != nil {
			return err
		}
	} else if c.isClosed() {
		return errOTLPClosed
	} else if c.heldCount().requests == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	select {
	case c.sending <- struct{}{}:
	case <-ctx.Done():
		return c.heldError(context.Cause(ctx))
	}
	defer func() { <-c.sending }()
	return c.drain(ctx, false)
}

// encode returns body as it goes on the wire.
func (c *otlpClient) encode(body []byte) ([]byte, error) {
	if !c.gzip {
		return body, nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(body)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing the OTLP request: %w", err)
	}
	return buf.Bytes(), nil
}

// hold appends a request to the hold, dropping the oldest past the
// bounds; the newest is kept even when it alone is larger than the bound
// of bytes. After Shutdown it holds nothing and returns errOTLPClosed.
func (c *otlpClient) hold(body []byte, items int) error {
	var full string
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errOTLPClosed
	}
	c.seq++
	c.held = append(c.held, heldRequest{seq: c.seq, body: body, items: items})
	c.heldBytes += len(body)
	for len(c.held) > 1 && (len(c.held) > c.maxHeld || c.heldBytes > c.maxHeldBytes) {
		h := c.held[0]
		c.held[0] = heldRequest{}
		c.held = c.held[1:]
		c.heldBytes -= len(h.body)
		c.dropped.add(h)
		c.outageDropped.add(h)
		if !c.fullLogged {
			c.fullLogged = true
			full = fmt.Sprintf("OTLP to %s: the hold of what could not be delivered is full (at most %d requests, %d bytes): the oldest are dropped until the endpoint answers again",
				c.url, c.maxHeld, c.maxHeldBytes)
		}
	}
	c.mu.Unlock()
	if full != "" {
		c.warn(full)
	}
	return nil
}

// heldCount returns what the hold holds.
func (c *otlpClient) heldCount() counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n counts
	for _, h := range c.held {
		n.add(h)
	}
	return n
}

// heldError is the error of an export that leaves requests held, for the
// reason cause; nil when nothing is held.
func (c *otlpClient) heldError(cause error) error {
	n := c.heldCount()
	if n.requests == 0 {
		return nil
	}
	c.mu.Lock()
	last := c.lastErr
	c.mu.Unlock()
	switch {
	case cause == nil && last == nil:
		cause = errors.New("not sent yet")
	case cause == nil:
		cause = last
	case last != nil && cause != last:
		return fmt.Errorf("OTLP to %s: %s not delivered yet, held for the next export: %w (the last attempt: %v)",
			c.url, c.describe(n), cause, last)
	}
	return fmt.Errorf("OTLP to %s: %s not delivered yet, held for the next export: %w", c.url, c.describe(n), cause)
}

// drain sends the held requests, oldest first, until none is left or ctx
// ends. Between failed attempts it waits as the backoff or the server's
// Retry-After asks, and returns at once when that wait would outlast ctx.
// final is Shutdown's one last attempt: the backoff's wait is skipped
// (the server's Retry-After is not), and the first failure ends it.
func (c *otlpClient) drain(ctx context.Context, final bool) error {
	var errs []error
	for {
		c.mu.Lock()
		if len(c.held) == 0 {
			c.mu.Unlock()
			return errors.Join(errs...)
		}
		h := c.held[0]
		wait := time.Until(c.notBefore)
		if final && !c.throttled {
			wait = 0
		}
		c.mu.Unlock()
		if wait > 0 {
			if err := sleep(ctx, wait); err != nil {
				return errors.Join(append(errs, c.heldError(err))...)
			}
		}
		res, rejected, err := c.attempt(ctx, h.body)
		switch res {
		case stopped:
			return errors.Join(append(errs, c.heldError(err))...)
		case retryable:
			if final {
				return errors.Join(append(errs, c.heldError(err))...)
			}
		case refused:
			c.remove(h, false)
			errs = append(errs, fmt.Errorf("%w; %s dropped", err, c.describe(counts{1, h.items})))
		case delivered:
			c.remove(h, true)
			c.partial(rejected, err)
		}
	}
}

// sleep waits for d, or returns an error at once when ctx would end
// before d has passed, or when it ends meanwhile.
func sleep(ctx context.Context, d time.Duration) error {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return fmt.Errorf("the next attempt is due in %v, after this export's deadline", d.Round(time.Millisecond))
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// remove takes h out of the hold once the endpoint has answered for it:
// ok when it was delivered, else refused for good. Delivery ends an
// outage: the backoff starts again from the first wait, and what the
// outage dropped is logged.
func (c *otlpClient) remove(h heldRequest, ok bool) {
	var msg string
	c.mu.Lock()
	if len(c.held) > 0 && c.held[0].seq == h.seq {
		c.held[0] = heldRequest{}
		c.held = c.held[1:]
		c.heldBytes -= len(h.body)
	} else if ok {
		// Dropped past the bound while on its way, and delivered after
		// all: not lost.
		c.dropped.requests--
		c.dropped.items -= h.items
		c.outageDropped.requests--
		c.outageDropped.items -= h.items
	}
	if !ok {
		c.refused.add(h)
	}
	if ok {
		if c.outageDropped.requests > 0 {
			msg = fmt.Sprintf("OTLP to %s: the endpoint answers again; %s were dropped while it did not",
				c.url, c.describe(c.outageDropped))
		}
		c.failures, c.notBefore, c.throttled, c.lastErr = 0, time.Time{}, false, nil
		c.outageDropped, c.fullLogged = counts{}, false
	}
	c.mu.Unlock()
	if msg != "" {
		c.warn(msg)
	}
}

// failed records a retryable failure, err, and when the next attempt is
// due: after the backoff, or the server's Retry-After (clamped by
// retryAfter) when that is longer.
func (c *otlpClient) failed(err error, retryAfter time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures++
	c.throttled = retryAfter > 0
	d := max(backoff(c.retryBase, c.retryMax, c.failures), retryAfter) // retryAfter is clamped

	c.notBefore = time.Now().Add(d)
	c.lastErr = err
}

// backoff is the wait after the failures-th failed attempt in a row:
// base doubled with each, capped at limit, less a random part of up to a
// half (jitter), so that senders that failed together do not come back
// together.
func backoff(base, limit time.Duration, failures int) time.Duration {
	d := limit
	if failures <= 30 && base<<(failures-1) > 0 {
		d = min(base<<(failures-1), limit)
	}
	return d - rand.N(d/2+1)
}

// partial logs, once per exporter, that the endpoint accepted a request
// only in part.
func (c *otlpClient) partial(rejected int64, detail error) {
	if rejected == 0 && detail == nil {
		return
	}
	c.mu.Lock()
	done := c.partialLogged
	c.partialLogged = true
	c.mu.Unlock()
	if done {
		return
	}
	msg := fmt.Sprintf("OTLP to %s: the endpoint accepted a request in part: it rejected %s", c.url, plural(int(rejected), c.kind))
	if detail != nil {
		msg += ": " + detail.Error()
	}
	c.warn(msg + " (said once; later partial successes are not logged)")
}

// attempt sends body once. With delivered, rejected and err report a
// partial success: the spans or data points the endpoint rejected, and
// its message.
func (c *otlpClient) attempt(ctx context.Context, body []byte) (res attemptResult, rejected int64, err error) {
	if err := context.Cause(ctx); err != nil {
		return stopped, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return refused, 0, fmt.Errorf("OTLP request to %s: %w", c.url, err)
	}
	for k, v := range c.headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if c.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if cerr := context.Cause(ctx); cerr != nil {
			return stopped, 0, fmt.Errorf("sending OTLP to %s: %w", c.url, cerr)
		}
		err = fmt.Errorf("sending OTLP to %s: %w", c.url, err)
		c.failed(err, 0)
		return retryable, 0, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		rejected, detail := partialSuccess(msg, resp.Header.Get("Content-Type"))
		return delivered, rejected, detail
	}
	text := strings.Join(strings.Fields(string(msg)), " ")
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text != "" {
		text = ": " + text
	}
	err = fmt.Errorf("sending OTLP to %s: the server answered %s%s", c.url, resp.Status, text)
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		c.failed(err, retryafter.Parse(resp.Header.Get("Retry-After"), time.Now(), maxRetryWait))
		return retryable, 0, err
	}
	return refused, 0, err
}

// partialSuccess decodes the partial_success of an OTLP/HTTP protobuf
// response (ExportTraceServiceResponse or ExportMetricsServiceResponse:
// field 1, whose field 1 is the rejected spans or data points and field 2
// the error message). It returns nothing for a JSON body or one that does
// not decode.
func partialSuccess(body []byte, contentType string) (rejected int64, detail error) {
	if strings.Contains(contentType, "json") {
		return 0, nil
	}
	ps, ok := field(body, 1)
	if !ok {
		return 0, nil
	}
	for len(ps) > 0 {
		num, typ, n := protowire.ConsumeTag(ps)
		if n < 0 {
			return 0, nil
		}
		ps = ps[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(ps)
			if n < 0 {
				return 0, nil
			}
			rejected, ps = int64(v), ps[n:]
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(ps)
			if n < 0 {
				return 0, nil
			}
			if s := strings.TrimSpace(string(v)); s != "" {
				detail = errors.New(s)
			}
			ps = ps[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, ps)
			if n < 0 {
				return 0, nil
			}
			ps = ps[n:]
		}
	}
	return rejected, detail
}

// field returns the bytes of the last occurrence of the length-delimited
// field num of the message b.
func field(b []byte, num protowire.Number) (out []byte, found bool) {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return nil, false
			}
			out, found, b = v, true, b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
	}
	return out, found
}

// shutdown stops the client: later exports fail. What is held gets one
// last attempt within ctx and the export timeout; what is still held
// then is lost, and counted, with what was dropped before, in one log
// line.
func (c *otlpClient) shutdown(ctx context.Context) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	defer c.http.CloseIdleConnections()

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	select {
	case c.sending <- struct{}{}:
		_ = c.drain(ctx, true)
		<-c.sending
	case <-ctx.Done():
	}

	c.mu.Lock()
	var lost counts
	for _, h := range c.held {
		lost.add(h)
	}
	c.held, c.heldBytes = nil, 0
	dropped, refusedN, last := c.dropped, c.refused, c.lastErr
	c.mu.Unlock()
	if lost.requests == 0 && dropped.requests == 0 && refusedN.requests == 0 {
		return
	}
	var parts []string
	if lost.requests > 0 {
		p := fmt.Sprintf("at shutdown %s not delivered, now lost", c.describe(lost))
		if last != nil {
			p += " (the last attempt: " + last.Error() + ")"
		}
		parts = append(parts, p)
	}
	var earlier []string
	if dropped.requests > 0 {
		earlier = append(earlier, c.describe(dropped)+" dropped with the hold full")
	}
	if refusedN.requests > 0 {
		earlier = append(earlier, c.describe(refusedN)+" refused by the endpoint")
	}
	if len(earlier) > 0 {
		parts = append(parts, "during the run "+strings.Join(earlier, " and "))
	}
	msg := fmt.Sprintf("OTLP to %s: %s", c.url, strings.Join(parts, "; "))
	c.warn(msg)
}
