package exporter

import (
	"encoding/json"
	"testing"
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
