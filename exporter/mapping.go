package exporter

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/catalog"
)

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

// identity is what an exporter derives once per resource.
type identity struct {
	res        *resource.Resource
	distinctID string
	common     []attribute.KeyValue // already renamed to property names
}

// identityOf reads the distinct ID and the common properties from res. The
// distinct ID is the install ID, or else the deployment ID; it is empty
// when the resource has neither, and such events are not sent.
func identityOf(res *resource.Resource) *identity {
	id := &identity{res: res}
	if res == nil {
		return id
	}
	set := res.Set()
	if v, ok := set.Value(catalog.ResourceInstallID); ok && v.Type() == attribute.STRING {
		id.distinctID = v.AsString()
	}
	if id.distinctID == "" {
		if v, ok := set.Value(catalog.ResourceDeploymentID); ok && v.Type() == attribute.STRING {
			id.distinctID = v.AsString()
		}
	}
	for _, k := range commonKeys {
		if v, ok := set.Value(k.key); ok {
			id.common = append(id.common, attribute.KeyValue{Key: attribute.Key(k.prop), Value: v})
		}
	}
	return id
}

// properties builds an event's properties: attrs, then the common
// properties, then extra, each overriding what came before.
func (id *identity) properties(attrs attribute.Set, extra int) map[string]any {
	props := make(map[string]any, attrs.Len()+len(id.common)+extra)
	iter := attrs.Iter()
	for iter.Next() {
		kv := iter.Attribute()
		props[string(kv.Key)] = value(kv.Value)
	}
	for _, kv := range id.common {
		props[string(kv.Key)] = value(kv.Value)
	}
	return props
}

func attrProperties(id *identity, attrs []attribute.KeyValue, extra int) map[string]any {
	props := make(map[string]any, len(attrs)+len(id.common)+extra)
	for _, kv := range attrs {
		props[string(kv.Key)] = value(kv.Value)
	}
	for _, kv := range id.common {
		props[string(kv.Key)] = value(kv.Value)
	}
	return props
}

// value converts an attribute value to the JSON value PostHog receives.
func value(v attribute.Value) any {
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

// Namespaces of the name-based (version 5) UUIDs of events.
var (
	spanNamespace   = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/elmohq/telemetry/exporter#span"))
	metricNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/elmohq/telemetry/exporter#metric"))
)

// spanUUID derives an event UUID from a span's trace and span IDs, so the
// same span always becomes the same event.
func spanUUID(sc trace.SpanContext) string {
	tid, sid := sc.TraceID(), sc.SpanID()
	var b [24]byte
	copy(b[:16], tid[:])
	copy(b[16:], sid[:])
	return uuid.NewSHA1(spanNamespace, b[:]).String()
}

// metricUUID derives an event UUID from a data point: the distinct ID, the
// instrument name, the attribute set and the interval. The same point
// exported twice gets the same UUID.
func metricUUID(distinctID, name string, attrs attribute.Set, start, end time.Time) string {
	b := make([]byte, 0, 128)
	b = appendString(b, distinctID)
	b = appendString(b, name)
	iter := attrs.Iter()
	for iter.Next() {
		kv := iter.Attribute()
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

// finite reports whether f can be sent as a JSON number.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
