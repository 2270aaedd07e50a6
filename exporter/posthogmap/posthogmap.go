package posthogmap

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/catalog"
)

// Event is one PostHog event in the form the capture API receives it. It
// round-trips through encoding/json, so undelivered events can be stored and
// handed back for delivery later with their UUID, which lets PostHog
// discard a copy it already has.
//
// The exporter's Client adds the library properties ($lib and $lib_version
// with the legacy capture API; the PostHog-Sdk-Info header with v1) when the
// event is sent; they are not part of Properties. The operating system and
// Go version properties PostHog's Go client adds are never sent.
type Event struct {
	// UUID identifies the event; PostHog deduplicates on it.
	UUID string `json:"uuid"`
	// Event is the event name.
	Event string `json:"event"`
	// DistinctID is the install or deployment the event belongs to.
	DistinctID string `json:"distinct_id"`
	// Timestamp is when the event happened, in UTC.
	Timestamp time.Time `json:"timestamp"`
	// Properties are the event's properties.
	Properties map[string]any `json:"properties"`
}

// commonKeys maps the only resource attributes that become event
// properties to their property names: those the catalog sends under a
// name other than the distinct ID. No other resource attribute is ever
// sent.
var commonKeys = func() []commonKey {
	var keys []commonKey
	for _, p := range catalog.Resource() {
		if p.SentAs != "" && p.SentAs != catalog.FieldDistinctID {
			keys = append(keys, commonKey{key: p.Key, prop: p.SentAs})
		}
	}
	return keys
}()

type commonKey struct {
	key  attribute.Key
	prop string
}

// Identity is what the mapping reads from a resource: the distinct ID of
// its events and their common properties. Derive it once per resource
// with [NewIdentity]; it is immutable and safe for concurrent use.
type Identity struct {
	distinctID string
	common     []attribute.KeyValue // already renamed to property names
}

// NewIdentity reads the distinct ID and the common properties from the
// attributes of a resource. The distinct ID is the install ID
// (elmo.install.id), or else the deployment ID (elmo.deployment.id); it is
// empty when the resource has neither, and such events must not be sent.
// The common properties are the resource attributes the catalog sends
// under a property name (service, version, os, arch, runtime_version,
// deployment_mode). A nil res gives an empty Identity.
func NewIdentity(res *attribute.Set) *Identity {
	id := &Identity{}
	if res == nil {
		return id
	}
	if v, ok := res.Value(catalog.ResourceInstallID); ok && v.Type() == attribute.STRING {
		id.distinctID = v.AsString()
	}
	if id.distinctID == "" {
		if v, ok := res.Value(catalog.ResourceDeploymentID); ok && v.Type() == attribute.STRING {
			id.distinctID = v.AsString()
		}
	}
	for _, k := range commonKeys {
		if v, ok := res.Value(k.key); ok {
			id.common = append(id.common, attribute.KeyValue{Key: attribute.Key(k.prop), Value: v})
		}
	}
	return id
}

// DistinctID returns the distinct ID of the resource's events, or "" when
// they must not be sent.
func (id *Identity) DistinctID() string { return id.distinctID }

// Span is what the mapping reads from one ended span.
type Span struct {
	// Name is the span name, which becomes the event name.
	Name string
	// TraceID and SpanID identify the span; the event's UUID is derived
	// from them.
	TraceID trace.TraceID
	SpanID  trace.SpanID
	// Start and End are the span's start and end times.
	Start, End time.Time
	// Failed reports whether the span's status is Error.
	Failed bool
	// Attributes are the span's attributes, already filtered.
	Attributes []attribute.KeyValue
}

// SpanEvent returns the event of span s: named after the span, belonging
// to id's distinct ID, with a UUID derived from the trace and span IDs, the
// span's end time in UTC as its timestamp, and as properties the span's
// attributes, the common properties, duration_ms and success (false when
// the span failed).
func (id *Identity) SpanEvent(s *Span) Event {
	props := make(map[string]any, len(s.Attributes)+len(id.common)+2)
	for _, kv := range s.Attributes {
		props[string(kv.Key)] = Value(kv.Value)
	}
	id.addCommon(props)
	props[catalog.PropDurationMS] = s.End.Sub(s.Start).Milliseconds()
	props[catalog.PropSuccess] = !s.Failed
	return Event{
		UUID:       SpanUUID(s.TraceID, s.SpanID),
		Event:      s.Name,
		DistinctID: id.distinctID,
		Timestamp:  s.End.UTC(),
		Properties: props,
	}
}

// Point is what the mapping reads from one data point of a counter (a
// monotonic sum with delta temporality) or a gauge.
type Point[N int64 | float64] struct {
	// Name is the instrument name, which becomes the event name.
	Name string
	// Attributes are the point's attributes, already filtered.
	Attributes attribute.Set
	// Start and Time are the start and end of the point's interval.
	Start, Time time.Time
	// Value is the sum's delta, or the gauge's value.
	Value N
	// Sum reports whether the point is a counter's rather than a gauge's.
	Sum bool
}

// Sendable reports whether p becomes an event: a sum point whose delta is
// zero does not (nothing happened), and neither does a point whose value
// is NaN or infinite.
func (p *Point[N]) Sendable() bool {
	if p.Sum && p.Value == 0 {
		return false
	}
	f := float64(p.Value)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

// PointEvent returns the event of data point p: named after the
// instrument, belonging to id's distinct ID, with a UUID derived from the
// distinct ID, the name, the attributes and the interval (so the same point
// exported twice never counts twice), the end of the interval in UTC as its
// timestamp, and as properties the point's attributes, the common
// properties and value.
func PointEvent[N int64 | float64](id *Identity, p *Point[N]) Event {
	props := make(map[string]any, p.Attributes.Len()+len(id.common)+1)
	for it := p.Attributes.Iter(); it.Next(); {
		kv := it.Attribute()
		props[string(kv.Key)] = Value(kv.Value)
	}
	id.addCommon(props)
	props[catalog.PropValue] = p.Value
	return Event{
		UUID:       PointUUID(id.distinctID, p.Name, &p.Attributes, p.Start, p.Time),
		Event:      p.Name,
		DistinctID: id.distinctID,
		Timestamp:  p.Time.UTC(),
		Properties: props,
	}
}

// addCommon adds the common properties to props, over what it holds.
func (id *Identity) addCommon(props map[string]any) {
	for _, kv := range id.common {
		props[string(kv.Key)] = Value(kv.Value)
	}
}

// Value converts an attribute value to the JSON value PostHog receives.
func Value(v attribute.Value) any {
	switch v.Type() {
	case attribute.BOOL:
		return v.AsBool()
	case attribute.INT64:
		return v.AsInt64()
	case attribute.FLOAT64:
		return v.AsFloat64()
	case attribute.STRING:
		return v.AsString()
	case attribute.BOOLSLICE:
		return v.AsBoolSlice()
	case attribute.INT64SLICE:
		return v.AsInt64Slice()
	case attribute.FLOAT64SLICE:
		return v.AsFloat64Slice()
	case attribute.STRINGSLICE:
		return v.AsStringSlice()
	}
	return v.Emit()
}

// Namespaces of the name-based (version 5) UUIDs of events. They name the
// exporter package, where the mapping was first written: changing them
// would give every event a new UUID.
var (
	spanNamespace   = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/elmohq/telemetry/exporter#span"))
	metricNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/elmohq/telemetry/exporter#metric"))
)

// SpanUUID derives an event UUID from a span's trace and span IDs, so the
// same span always becomes the same event.
func SpanUUID(tid trace.TraceID, sid trace.SpanID) string {
	var b [24]byte
	copy(b[:16], tid[:])
	copy(b[16:], sid[:])
	return uuid.NewSHA1(spanNamespace, b[:]).String()
}

// PointUUID derives an event UUID from a data point: the distinct ID, the
// instrument name, the attribute set and the interval. The same point
// exported twice gets the same UUID.
func PointUUID(distinctID, name string, attrs *attribute.Set, start, end time.Time) string {
	b := make([]byte, 0, 128)
	b = appendString(b, distinctID)
	b = appendString(b, name)
	for it := attrs.Iter(); it.Next(); {
		kv := it.Attribute()
		b = appendString(b, string(kv.Key))
		b = appendString(b, kv.Value.Type().String())
		b = appendString(b, kv.Value.Emit())
	}
	b = binary.BigEndian.AppendUint64(b, uint64(start.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(end.UnixNano()))
	return uuid.NewSHA1(metricNamespace, b).String()
}

// appendString appends s with its length, so that no two sequences of
// strings encode alike.
func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}
