package envexport

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxMillis is the largest number of milliseconds a time.Duration holds.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// ParseMillis returns the duration that value, the value of the variable
// name, gives in whole milliseconds, the unit of the OpenTelemetry
// variables that set a timeout or an interval (OTEL_EXPORTER_OTLP_TIMEOUT,
// OTEL_METRIC_EXPORT_INTERVAL). Surrounding spaces are ignored. The value
// must be a positive integer that a time.Duration can hold: zero, a
// negative number, a unit ("10s") or a number too large (which would wrap
// to a negative duration) is refused with an error that names the variable
// and the value. An empty value is refused too: what unset means is the
// caller's choice.
func ParseMillis(name, value string) (time.Duration, error) {
	v := strings.TrimSpace(value)
	ms, err := strconv.ParseInt(v, 10, 64)
	tooLarge := (err == nil && ms > maxMillis) ||
		(errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-"))
	switch {
	case tooLarge:
		return 0, fmt.Errorf("%s=%q: that many milliseconds is more than this program can wait: at most %d (about 292 years)",
			name, value, maxMillis)
	case err != nil || ms <= 0:
		return 0, fmt.Errorf("%s=%q: want a positive whole number of milliseconds, such as 10000 for ten seconds",
			name, value)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
