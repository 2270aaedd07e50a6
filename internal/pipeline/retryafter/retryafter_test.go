package retryafter

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tc := range []struct {
		in    string
		limit time.Duration
		want  time.Duration
	}{
		{"", time.Minute, 0},
		{"30", time.Minute, 30 * time.Second},
		{" 2 ", time.Minute, 2 * time.Second},
		{"0", time.Minute, 0},
		{"-5", time.Minute, 0},
		{"86400", 30 * time.Second, 30 * time.Second},
		{"999999999", 24 * time.Hour, 24 * time.Hour},
		{"9223372036854775807", 30 * time.Second, 30 * time.Second},
		{"99999999999999999999", 30 * time.Second, 0}, // not a number this reads: no wait asked
		{now.Add(90 * time.Second).Format(http.TimeFormat), time.Hour, 90 * time.Second},
		{now.Add(24 * time.Hour).Format(http.TimeFormat), 30 * time.Second, 30 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), time.Hour, 0},
		{"1", 50 * time.Millisecond, 50 * time.Millisecond},
		{"soon", time.Minute, 0},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := Parse(tc.in, now, tc.limit); got != tc.want {
				t.Errorf("Parse(%q, %v) = %v, want %v", tc.in, tc.limit, got, tc.want)
			}
		})
	}
}

func ExampleParse() {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	fmt.Println(Parse("120", now, time.Minute))
	fmt.Println(Parse(now.Add(10*time.Second).Format(http.TimeFormat), now, time.Minute))
	// Output:
	// 1m0s
	// 10s
}
