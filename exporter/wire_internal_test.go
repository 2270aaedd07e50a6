package exporter

import (
	"encoding/json"
	"net/http"
	"reflect"
	"runtime/debug"
	"testing"
	"time"
)

func TestRetryDelay(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		attempt    int
		retryAfter string
		want       time.Duration
	}{
		{"no header: the backoff", 0, "", 100 * time.Millisecond},
		{"no header, third retry: the backoff doubled twice", 2, "", 400 * time.Millisecond},
		{"the backoff is capped", 9, "", maxRetryWait},
		{"far beyond the cap", 40, "", maxRetryWait},
		{"seconds", 0, "7", 7 * time.Second},
		{"a shorter Retry-After than the backoff", 6, "1", 6400 * time.Millisecond},
		{"an hour is clamped", 0, "3600", maxRetryWait},
		{"HTTP date", 0, now.Add(9 * time.Second).Format(http.TimeFormat), 9 * time.Second},
		{"garbage: the backoff", 0, "soon", 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			if d := retryDelay(tt.attempt, h, now); d != tt.want {
				t.Errorf("retryDelay = %v, want %v", d, tt.want)
			}
		})
	}
}

// The system properties never go, whatever the event holds; the legacy
// form names the library, the v1 form moves the properties the API reads
// as options out of the properties.
func TestWireForms(t *testing.T) {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 500_000_000, time.FixedZone("CET", 3600))
	ev := Event{UUID: "u", Event: "e", DistinctID: "d", Timestamp: ts, Properties: map[string]any{
		"a": 1, "$os": "Other OS", "$os_version": "1", "$os_distro": "x", "$go_version": "go0",
		"$lib": "mine", "$process_person_profile": "false", "$session_id": "s", "$cookieless_mode": "maybe",
	}}
	tests := []struct {
		name string
		api  CaptureAPI
		want string
	}{
		{"legacy", CaptureLegacy, `{"uuid":"u","timestamp":"2026-03-04T04:06:07.5Z","distinct_id":"d","event":"e",` +
			`"properties":{"$cookieless_mode":"maybe","$lib":"elmo-telemetry","$lib_version":"dev","$process_person_profile":"false","$session_id":"s","a":1}}`},
		{"v1", CaptureV1, `{"event":"e","uuid":"u","distinct_id":"d","timestamp":"2026-03-04T04:06:07.5Z","session_id":"s",` +
			`"options":{"process_person_profile":false},"properties":{"$lib":"mine","a":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeEvent(ev, tt.api)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("encoded\n%s\nwant\n%s", b, tt.want)
			}
		})
	}
	if ev.Properties["$os"] != "Other OS" || len(ev.Properties) != 9 {
		t.Errorf("encoding changed the event's properties: %v", ev.Properties)
	}
	for _, api := range []CaptureAPI{CaptureLegacy, CaptureV1} {
		b, err := encodeEvent(Event{UUID: "u", Event: "e", DistinctID: "d"}, api)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Properties map[string]any `json:"properties"`
		}
		if err := json.Unmarshal(b, &got); err != nil || got.Properties == nil {
			t.Errorf("%v: no properties gives %s, want an object", api, b)
		}
	}
}

func TestBatchBody(t *testing.T) {
	evs := []wireEvent{{uuid: "1", data: []byte(`{"n":1}`)}, {uuid: "2", data: []byte(`{"n":2}`)}}
	tests := []struct {
		name     string
		envelope []byte
		want     string
	}{
		{"legacy", legacyEnvelope(`k"`, false), `{"api_key":"k\"","batch":[{"n":1},{"n":2}]}`},
		{"legacy historical", legacyEnvelope("k", true), `{"api_key":"k","historical_migration":true,"batch":[{"n":1},{"n":2}]}`},
		{"v1", v1Envelope(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), false), `{"created_at":"2026-01-02T03:04:05Z","batch":[{"n":1},{"n":2}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := batchBody(tt.envelope, evs)
			if string(got) != tt.want {
				t.Errorf("body %s, want %s", got, tt.want)
			}
			var v map[string]any
			if err := json.Unmarshal(got, &v); err != nil {
				t.Error(err)
			}
		})
	}
	if got := batchBody(legacyEnvelope("k", false), nil); !reflect.DeepEqual(string(got), `{"api_key":"k","batch":[]}`) {
		t.Errorf("empty body %s", got)
	}
}

// The events name this module's version as $lib_version: as the main
// module or as a dependency, replaced or not; anything else is "dev".
func TestModuleVersion(t *testing.T) {
	dep := func(path, version string, replace *debug.Module) *debug.Module {
		return &debug.Module{Path: path, Version: version, Replace: replace}
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build information", nil, false, "dev"},
		{"main module, released", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.4.0"}}, true, "v1.4.0"},
		{"main module, development", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "(devel)"}}, true, "dev"},
		{"dependency", &debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "v9.9.9"},
			Deps: []*debug.Module{dep("example.com/other", "v2.0.0", nil), dep(modulePath, "v1.2.3", nil)}}, true, "v1.2.3"},
		{"dependency replaced by a directory", &debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{dep(modulePath, "v0.0.0", dep("../", "", nil))}}, true, "dev"},
		{"dependency replaced by a version", &debug.BuildInfo{Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{dep(modulePath, "v1.0.0", dep("example.com/fork", "v1.0.1", nil))}}, true, "v1.0.1"},
		{"not linked", &debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "v3.0.0"}}, true, "dev"},
		{"a version the catalog would not send", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.0.0 canary@example.com"}}, true, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := moduleVersion(tt.info, tt.ok); got != tt.want {
				t.Errorf("moduleVersion = %q, want %q", got, tt.want)
			}
		})
	}
}
