package exporter

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/posthog/posthog-go"
)

func TestCutMembers(t *testing.T) {
	m := []byte(`"$os":"Linux"`)
	tests := []struct{ in, want string }{
		{`{"a":1,"$os":"Linux","b":2}`, `{"a":1,"b":2}`},
		{`{"$os":"Linux","b":2}`, `{"b":2}`},
		{`{"a":1,"$os":"Linux"}`, `{"a":1}`},
		{`{"$os":"Linux"}`, `{}`},
		{`{"a":"x\"$os\":\"Linux\""}`, `{"a":"x\"$os\":\"Linux\""}`},
		{`[{"p":{"$os":"Linux"}},{"p":{"z":0,"$os":"Linux"}}]`, `[{"p":{}},{"p":{"z":0}}]`},
		{`{"$os":"Linuxes"}`, `{"$os":"Linuxes"}`},
	}
	for _, tt := range tests {
		if got := string(cutMembers([]byte(tt.in), m)); got != tt.want {
			t.Errorf("cutMembers(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// A value posthog-go serialized differently from the patterns still goes:
// the slow path decodes the events.
func TestStripSystemFallsBackToDecoding(t *testing.T) {
	in := `{"api_key":"k","batch":[{"uuid":"u","properties":{"$os":"Other OS","$go_version":"go0","$lib":"posthog-go","a":1}}]}`
	out, err := stripSystem([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		APIKey string `json:"api_key"`
		Batch  []struct {
			UUID       string         `json:"uuid"`
			Properties map[string]any `json:"properties"`
		} `json:"batch"`
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	p := b.Batch[0].Properties
	if _, ok := p["$os"]; ok || p["$go_version"] != nil || p["$lib"] != "posthog-go" || p["a"] != float64(1) || b.APIKey != "k" || b.Batch[0].UUID != "u" {
		t.Errorf("stripped to %s", out)
	}
}

func TestRetryDelay(t *testing.T) {
	tr := &retryTransport{backoff: posthog.DefaultBackoff()}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		retryAfter string
		min, max   time.Duration
	}{
		{"no header: the backoff", "", time.Nanosecond, maxRetryWait},
		{"seconds", "7", 7 * time.Second, 7 * time.Second},
		{"an hour is clamped", "3600", maxRetryWait, maxRetryWait},
		{"HTTP date", now.Add(9 * time.Second).Format(http.TimeFormat), 9 * time.Second, 9 * time.Second},
		{"garbage: the backoff", "soon", time.Nanosecond, maxRetryWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			if d := tr.retryDelay(0, h, now); d < tt.min || d > tt.max {
				t.Errorf("retryDelay = %v, want between %v and %v", d, tt.min, tt.max)
			}
		})
	}
}
