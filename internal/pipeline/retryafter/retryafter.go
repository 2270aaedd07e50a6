// Package retryafter reads the Retry-After header of an HTTP answer, as
// the PostHog exporter, the OTLP exporters and the worker's model
// provider client honour it.
package retryafter

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Parse returns the wait that the Retry-After value v asks for, a number
// of seconds or an HTTP date relative to now, within 0 and limit. An empty
// value, anything else, or a time in the past asks for none. A number of
// seconds is clamped before it becomes a duration, so that no value can
// overflow into a negative wait.
func Parse(v string, now time.Time, limit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case secs <= 0:
			return 0
		case secs > int64(limit/time.Second):
			return limit
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), limit)
	}
	return 0
}
