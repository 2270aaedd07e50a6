package envexport

import (
	"strings"
	"testing"
	"time"
)

func TestParseMillis(t *testing.T) {
	tests := []struct {
		value   string
		want    time.Duration
		wantErr string // a part of the error, "" for none
	}{
		{value: "10000", want: 10 * time.Second},
		{value: " 250 ", want: 250 * time.Millisecond},
		{value: "1", want: time.Millisecond},
		{value: "9223372036854", want: 9223372036854 * time.Millisecond},
		{value: "9223372036855", wantErr: "more than this program can wait"},
		{value: "99999999999999999999", wantErr: "more than this program can wait"},
		{value: "0", wantErr: "positive whole number of milliseconds"},
		{value: "-1", wantErr: "positive whole number of milliseconds"},
		{value: "-99999999999999999999", wantErr: "positive whole number of milliseconds"},
		{value: "10s", wantErr: "positive whole number of milliseconds"},
		{value: "1.5", wantErr: "positive whole number of milliseconds"},
		{value: "", wantErr: "positive whole number of milliseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := ParseMillis("OTEL_METRIC_EXPORT_INTERVAL", tt.value)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseMillis(%q) = %v, %v; want %v", tt.value, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseMillis(%q) = %v, want an error", tt.value, got)
			}
			for _, part := range []string{"OTEL_METRIC_EXPORT_INTERVAL=", `"` + tt.value + `"`, tt.wantErr} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not say %q", err, part)
				}
			}
		})
	}
}
