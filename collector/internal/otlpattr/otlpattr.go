// Package otlpattr converts OTLP attributes (pdata) to the OpenTelemetry
// API's attribute values, which the catalog gate and the PostHog mapping
// of this project read, and back.
package otlpattr

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/otel/attribute"
)

// KeyValue converts one OTLP attribute. Strings, booleans, integers,
// doubles and arrays whose elements are all of one of those types convert;
// an empty array becomes an empty string slice, the only slice type of the
// catalog. Maps, byte strings, empty values and mixed arrays do not: ok is
// false, and the attribute must be dropped.
func KeyValue(k string, v pcommon.Value) (kv attribute.KeyValue, ok bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return attribute.String(k, v.Str()), true
	case pcommon.ValueTypeBool:
		return attribute.Bool(k, v.Bool()), true
	case pcommon.ValueTypeInt:
		return attribute.Int64(k, v.Int()), true
	case pcommon.ValueTypeDouble:
		return attribute.Float64(k, v.Double()), true
	case pcommon.ValueTypeSlice:
		return slice(k, v.Slice())
	}
	return attribute.KeyValue{}, false
}

func slice(k string, s pcommon.Slice) (attribute.KeyValue, bool) {
	n := s.Len()
	if n == 0 {
		return attribute.StringSlice(k, []string{}), true
	}
	switch s.At(0).Type() {
	case pcommon.ValueTypeStr:
		out := make([]string, n)
		for i := range n {
			if s.At(i).Type() != pcommon.ValueTypeStr {
				return attribute.KeyValue{}, false
			}
			out[i] = s.At(i).Str()
		}
		return attribute.StringSlice(k, out), true
	case pcommon.ValueTypeBool:
		out := make([]bool, n)
		for i := range n {
			if s.At(i).Type() != pcommon.ValueTypeBool {
				return attribute.KeyValue{}, false
			}
			out[i] = s.At(i).Bool()
		}
		return attribute.BoolSlice(k, out), true
	case pcommon.ValueTypeInt:
		out := make([]int64, n)
		for i := range n {
			if s.At(i).Type() != pcommon.ValueTypeInt {
				return attribute.KeyValue{}, false
			}
			out[i] = s.At(i).Int()
		}
		return attribute.Int64Slice(k, out), true
	case pcommon.ValueTypeDouble:
		out := make([]float64, n)
		for i := range n {
			if s.At(i).Type() != pcommon.ValueTypeDouble {
				return attribute.KeyValue{}, false
			}
			out[i] = s.At(i).Double()
		}
		return attribute.Float64Slice(k, out), true
	}
	return attribute.KeyValue{}, false
}

// FromMap converts the attributes of m that KeyValue converts, and
// leaves the others out.
func FromMap(m pcommon.Map) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, m.Len())
	for k, v := range m.All() {
		if kv, ok := KeyValue(k, v); ok {
			out = append(out, kv)
		}
	}
	return out
}

// Set returns FromMap(m) as a set.
func Set(m pcommon.Map) attribute.Set {
	return attribute.NewSet(FromMap(m)...)
}

// Put stores kv in m under its key, replacing what m holds there.
func Put(m pcommon.Map, kv attribute.KeyValue) {
	k := string(kv.Key)
	switch kv.Value.Type() {
	case attribute.STRING:
		m.PutStr(k, kv.Value.AsString())
	case attribute.BOOL:
		m.PutBool(k, kv.Value.AsBool())
	case attribute.INT64:
		m.PutInt(k, kv.Value.AsInt64())
	case attribute.FLOAT64:
		m.PutDouble(k, kv.Value.AsFloat64())
	case attribute.STRINGSLICE:
		s := m.PutEmptySlice(k)
		for _, v := range kv.Value.AsStringSlice() {
			s.AppendEmpty().SetStr(v)
		}
	case attribute.BOOLSLICE:
		s := m.PutEmptySlice(k)
		for _, v := range kv.Value.AsBoolSlice() {
			s.AppendEmpty().SetBool(v)
		}
	case attribute.INT64SLICE:
		s := m.PutEmptySlice(k)
		for _, v := range kv.Value.AsInt64Slice() {
			s.AppendEmpty().SetInt(v)
		}
	case attribute.FLOAT64SLICE:
		s := m.PutEmptySlice(k)
		for _, v := range kv.Value.AsFloat64Slice() {
			s.AppendEmpty().SetDouble(v)
		}
	}
}

// Replace replaces the contents of m with kvs.
func Replace(m pcommon.Map, kvs []attribute.KeyValue) {
	m.Clear()
	m.EnsureCapacity(len(kvs))
	for _, kv := range kvs {
		Put(m, kv)
	}
}

// Time converts an OTLP timestamp; 0, which OTLP uses for "not set",
// becomes the zero time.
func Time(ts pcommon.Timestamp) time.Time {
	if ts == 0 {
		return time.Time{}
	}
	return ts.AsTime()
}
