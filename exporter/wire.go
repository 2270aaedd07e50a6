package exporter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/elmohq/telemetry/catalog"
)

// libName is the library the events name as their sender, in their
// properties ($lib, $lib_version) with the legacy capture API and in the
// User-Agent and PostHog-Sdk-Info headers: this exporter. It follows the
// wire protocol of PostHog's Go client but is not that client, and does
// not claim to be.
const libName = "elmo-telemetry"

// modulePath is the module this package belongs to, whose version the
// events name as $lib_version.
const modulePath = "github.com/elmohq/telemetry"

// libVersion returns the version of this module in the running program,
// read once from its build information.
var libVersion = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	return moduleVersion(info, ok)
})

// sdkInfo returns the library's name and version, as the User-Agent and
// PostHog-Sdk-Info headers carry them.
func sdkInfo() string { return libName + "/" + libVersion() }

// moduleVersion returns the version of this module that info records,
// as the main module or as a dependency (replaced or not), or
// catalog.DevVersion for a development build or a version the catalog's
// rule would not send.
func moduleVersion(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return catalog.DevVersion
	}
	v := ""
	if info.Main.Path == modulePath {
		v = info.Main.Version
	}
	for _, dep := range info.Deps {
		if dep.Path != modulePath {
			continue
		}
		v = dep.Version
		if dep.Replace != nil {
			v = dep.Replace.Version
		}
	}
	if v == "" || v == "(devel)" || !catalog.IsVersion(v) {
		return catalog.DevVersion
	}
	return v
}

// The capture API's limits on one event and on one request body, as PostHog's
// clients apply them before sending.
const (
	maxEventBytes = 500_000
	maxBatchBytes = 500_000
)

// Paths of PostHog's capture APIs.
const (
	legacyPath = "/batch/"
	v1Path     = "/i/v1/analytics/events"
)

// systemProperties are the operating system and Go version properties
// PostHog's Go client adds to every event. The catalog's os and
// runtime_version say the same, so an event never carries them.
var systemProperties = []string{"$os", "$os_version", "$os_distro", "$go_version"}

// wireEvent is one event serialized for a request body.
type wireEvent struct {
	uuid string
	data []byte
	idx  int // the event's place in the slice handed to Client.Send
}

// legacyEvent is an event as the legacy batch API receives it.
type legacyEvent struct {
	UUID       string         `json:"uuid"`
	Timestamp  time.Time      `json:"timestamp"`
	DistinctID string         `json:"distinct_id"`
	Event      string         `json:"event"`
	Properties map[string]any `json:"properties"`
}

// v1Event is an event as the v1 capture API receives it.
type v1Event struct {
	Event      string         `json:"event"`
	UUID       string         `json:"uuid"`
	DistinctID string         `json:"distinct_id"`
	Timestamp  time.Time      `json:"timestamp"`
	SessionID  string         `json:"session_id,omitempty"`
	WindowID   string         `json:"window_id,omitempty"`
	Options    map[string]any `json:"options"`
	Properties map[string]any `json:"properties"`
}

// encodeEvent serializes ev for the capture API api.
func encodeEvent(ev Event, api CaptureAPI) ([]byte, error) {
	var (
		b   []byte
		err error
	)
	if api == CaptureV1 {
		b, err = json.Marshal(toV1(ev))
	} else {
		b, err = json.Marshal(toLegacy(ev))
	}
	if err != nil {
		return nil, fmt.Errorf("posthog exporter: encoding event %q: %w", ev.Event, err)
	}
	return b, nil
}

// toLegacy returns ev as the legacy batch API receives it: its properties
// without the system properties, with the library's name and version.
func toLegacy(ev Event) legacyEvent {
	props := make(map[string]any, len(ev.Properties)+2)
	for k, v := range ev.Properties {
		props[k] = v
	}
	for _, k := range systemProperties {
		delete(props, k)
	}
	props[catalog.PropLib] = libName
	props[catalog.PropLibVersion] = libVersion()
	return legacyEvent{
		UUID:       ev.UUID,
		Timestamp:  ev.Timestamp.UTC(),
		DistinctID: ev.DistinctID,
		Event:      ev.Event,
		Properties: props,
	}
}

// v1Lifted is a property that the v1 API takes out of the properties, into
// the event's options or, when option is empty, a top-level field.
type v1Lifted struct {
	prop, option string
	coerce       func(any) (any, bool)
}

// v1LiftedProperties are the properties that PostHog's clients move out of
// the properties with the v1 API.
var v1LiftedProperties = []v1Lifted{
	{"$cookieless_mode", "cookieless_mode", coerceBool},
	{"$ignore_sent_at", "disable_skew_correction", coerceBool},
	{"$product_tour_id", "product_tour_id", coerceString},
	{"$process_person_profile", "process_person_profile", coerceBool},
	{"$session_id", "", nil},
	{"$window_id", "", nil},
}

// toV1 returns ev as the v1 capture API receives it: without the system
// properties, and with the properties the API reads as options or fields
// moved there. The library names itself in a header instead.
func toV1(ev Event) v1Event {
	out := v1Event{
		Event:      ev.Event,
		UUID:       ev.UUID,
		DistinctID: ev.DistinctID,
		Timestamp:  ev.Timestamp.UTC(),
		Options:    map[string]any{},
		Properties: ev.Properties,
	}
	if !v1NeedsCopy(ev.Properties) {
		if out.Properties == nil {
			out.Properties = map[string]any{}
		}
		return out
	}
	props := make(map[string]any, len(ev.Properties))
	for k, v := range ev.Properties {
		props[k] = v
	}
	for _, k := range systemProperties {
		delete(props, k)
	}
	for _, l := range v1LiftedProperties {
		v, ok := props[l.prop]
		if !ok {
			continue
		}
		delete(props, l.prop)
		switch {
		case l.prop == "$session_id":
			out.SessionID, _ = v.(string)
		case l.prop == "$window_id":
			out.WindowID, _ = v.(string)
		default:
			if c, ok := l.coerce(v); ok {
				out.Options[l.option] = c
			}
		}
	}
	out.Properties = props
	return out
}

// v1NeedsCopy reports whether props has a property that must not be sent
// as it is with the v1 API.
func v1NeedsCopy(props map[string]any) bool {
	for k := range props {
		if !strings.HasPrefix(k, "$") {
			continue
		}
		for _, s := range systemProperties {
			if k == s {
				return true
			}
		}
		for _, l := range v1LiftedProperties {
			if k == l.prop {
				return true
			}
		}
	}
	return false
}

// coerceBool reads v as the v1 API's boolean options: a bool, "true",
// "false", "1", "0", or a number (true unless zero).
func coerceBool(v any) (any, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
		return nil, false
	case int:
		return t != 0, true
	case int64:
		return t != 0, true
	case float64:
		return t != 0, true
	case json.Number:
		f, err := t.Float64()
		return f != 0, err == nil
	}
	return nil, false
}

// coerceString accepts only a string.
func coerceString(v any) (any, bool) {
	s, ok := v.(string)
	return s, ok
}

// batchBody builds an uncompressed request body: the envelope's fields,
// then the events.
func batchBody(envelope []byte, events []wireEvent) []byte {
	n := len(envelope) + len(`"batch":[]}`)
	for _, ev := range events {
		n += len(ev.data) + 1
	}
	b := bytes.NewBuffer(make([]byte, 0, n))
	b.Write(envelope)
	b.WriteString(`"batch":[`)
	for i, ev := range events {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(ev.data)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// legacyEnvelope is the start of a legacy batch body, up to its batch.
func legacyEnvelope(apiKey string, historical bool) []byte {
	key, _ := json.Marshal(apiKey)
	b := append([]byte(`{"api_key":`), key...)
	if historical {
		b = append(b, `,"historical_migration":true`...)
	}
	return append(b, ',')
}

// v1Envelope is the start of a v1 batch body created at now, up to its
// batch.
func v1Envelope(now time.Time, historical bool) []byte {
	b := []byte(`{"created_at":"` + now.UTC().Format(time.RFC3339) + `"`)
	if historical {
		b = append(b, `,"historical_migration":true`...)
	}
	return append(b, ',')
}

// Retry waits: PostHog's clients' default backoff, 100 ms doubling with
// each attempt, and the cap of any single wait, Retry-After included.
const (
	backoffBase  = 100 * time.Millisecond
	maxRetryWait = 30 * time.Second
)

// backoff is the wait before retry attempt+1 (attempt counts from 0).
func backoff(attempt int) time.Duration {
	if attempt >= 16 {
		return maxRetryWait
	}
	return min(backoffBase<<attempt, maxRetryWait)
}
