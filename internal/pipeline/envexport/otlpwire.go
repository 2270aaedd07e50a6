package envexport

import (
	"fmt"
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkinstrumentation "go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// This file encodes the OTLP requests (opentelemetry-proto, v1) with
// protowire alone. The generated OTLP packages would pull in the protobuf
// runtime, and the collector packages that hold the request messages
// import gRPC: together some 16 MB of every Elmo binary, telemetry on or
// off, for a debugging route. The field numbers are those of
// opentelemetry/proto/{common,resource,trace,metrics,collector}/v1.

// msg appends field num holding the message that f appends.
func msg(b []byte, num protowire.Number, f func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	// Encode into a scratch buffer to learn the length. Messages are
	// small (one export), so the copy is cheap.
	inner := f(nil)
	b = protowire.AppendVarint(b, uint64(len(inner)))
	return append(b, inner...)
}

func str(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func byteField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func varint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func fixed64(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

// fixed64Always appends a fixed64 field even when v is 0, for the members
// of a oneof, whose presence carries meaning.
func fixed64Always(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func unixNano(t interface{ UnixNano() int64 }) uint64 {
	n := t.UnixNano()
	if n < 0 {
		return 0
	}
	return uint64(n)
}

// anyValue appends the AnyValue of v: string 1, bool 2, int 3, double 4,
// array 5 (ArrayValue.values 1).
func anyValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOL:
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		return fixed64Always(b, 4, math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		return protowire.AppendString(b, v.AsString())
	case attribute.BOOLSLICE:
		return msg(b, 5, func(b []byte) []byte {
			for _, x := range v.AsBoolSlice() {
				b = msg(b, 1, func(b []byte) []byte { return anyValue(b, attribute.BoolValue(x)) })
			}
			return b
		})
	case attribute.INT64SLICE:
		return msg(b, 5, func(b []byte) []byte {
			for _, x := range v.AsInt64Slice() {
				b = msg(b, 1, func(b []byte) []byte { return anyValue(b, attribute.Int64Value(x)) })
			}
			return b
		})
	case attribute.FLOAT64SLICE:
		return msg(b, 5, func(b []byte) []byte {
			for _, x := range v.AsFloat64Slice() {
				b = msg(b, 1, func(b []byte) []byte { return anyValue(b, attribute.Float64Value(x)) })
			}
			return b
		})
	case attribute.STRINGSLICE:
		return msg(b, 5, func(b []byte) []byte {
			for _, x := range v.AsStringSlice() {
				b = msg(b, 1, func(b []byte) []byte { return anyValue(b, attribute.StringValue(x)) })
			}
			return b
		})
	default:
		// An empty AnyValue: the key is kept, as other exporters do.
		return b
	}
}

// attributes appends each of kvs as a KeyValue (key 1, value 2) in field
// num.
func attributes(b []byte, num protowire.Number, kvs []attribute.KeyValue) []byte {
	for _, kv := range kvs {
		b = msg(b, num, func(b []byte) []byte {
			b = str(b, 1, string(kv.Key))
			return msg(b, 2, func(b []byte) []byte { return anyValue(b, kv.Value) })
		})
	}
	return b
}

// resource appends a Resource (attributes 1).
func resource(b []byte, num protowire.Number, res *sdkresource.Resource) []byte {
	return msg(b, num, func(b []byte) []byte {
		if res == nil {
			return b
		}
		return attributes(b, 1, res.Attributes())
	})
}

// scope appends an InstrumentationScope (name 1, version 2, attributes 3).
func scope(b []byte, num protowire.Number, s sdkinstrumentation.Scope) []byte {
	return msg(b, num, func(b []byte) []byte {
		b = str(b, 1, s.Name)
		b = str(b, 2, s.Version)
		return attributes(b, 3, s.Attributes.ToSlice())
	})
}

// statusCode maps an OpenTelemetry status code to OTLP's (unset 0, ok 1,
// error 2).
func statusCode(c codes.Code) uint64 {
	switch c {
	case codes.Ok:
		return 1
	case codes.Error:
		return 2
	}
	return 0
}

// encodeSpans returns an ExportTraceServiceRequest holding spans, grouped
// by resource and instrumentation scope.
func encodeSpans(spans []sdktrace.ReadOnlySpan) []byte {
	type group struct {
		res    *sdkresource.Resource
		scopes []sdkinstrumentation.Scope
		spans  map[sdkinstrumentation.Scope][]sdktrace.ReadOnlySpan
	}
	var groups []*group
	byRes := map[attribute.Distinct]*group{}
	for _, s := range spans {
		res := s.Resource()
		key := attribute.Distinct{}
		if res != nil {
			key = res.Equivalent()
		}
		g := byRes[key]
		if g == nil {
			g = &group{res: res, spans: map[sdkinstrumentation.Scope][]sdktrace.ReadOnlySpan{}}
			byRes[key] = g
			groups = append(groups, g)
		}
		sc := s.InstrumentationScope()
		if _, ok := g.spans[sc]; !ok {
			g.scopes = append(g.scopes, sc)
		}
		g.spans[sc] = append(g.spans[sc], s)
	}
	var b []byte
	for _, g := range groups {
		b = msg(b, 1, func(b []byte) []byte { // resource_spans
			b = resource(b, 1, g.res)
			for _, sc := range g.scopes {
				b = msg(b, 2, func(b []byte) []byte { // scope_spans
					b = scope(b, 1, sc)
					for _, s := range g.spans[sc] {
						b = msg(b, 2, func(b []byte) []byte { return span(b, s) })
					}
					return b
				})
			}
			if g.res != nil {
				b = str(b, 3, g.res.SchemaURL())
			}
			return b
		})
	}
	return b
}

// span appends the fields of a Span.
func span(b []byte, s sdktrace.ReadOnlySpan) []byte {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b = byteField(b, 1, tid[:])
	b = byteField(b, 2, sid[:])
	b = str(b, 3, sc.TraceState().String())
	if p := s.Parent(); p.SpanID().IsValid() {
		psid := p.SpanID()
		b = byteField(b, 4, psid[:])
	}
	b = str(b, 5, s.Name())
	b = varint(b, 6, uint64(s.SpanKind()))
	b = fixed64(b, 7, unixNano(s.StartTime()))
	b = fixed64(b, 8, unixNano(s.EndTime()))
	b = attributes(b, 9, s.Attributes())
	b = varint(b, 10, uint64(max(s.DroppedAttributes(), 0)))
	for _, e := range s.Events() {
		b = msg(b, 11, func(b []byte) []byte {
			b = fixed64(b, 1, unixNano(e.Time))
			b = str(b, 2, e.Name)
			b = attributes(b, 3, e.Attributes)
			return varint(b, 4, uint64(max(e.DroppedAttributeCount, 0)))
		})
	}
	b = varint(b, 12, uint64(max(s.DroppedEvents(), 0)))
	for _, l := range s.Links() {
		b = msg(b, 13, func(b []byte) []byte {
			ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
			b = byteField(b, 1, ltid[:])
			b = byteField(b, 2, lsid[:])
			b = str(b, 3, l.SpanContext.TraceState().String())
			b = attributes(b, 4, l.Attributes)
			return varint(b, 5, uint64(max(l.DroppedAttributeCount, 0)))
		})
	}
	b = varint(b, 14, uint64(max(s.DroppedLinks(), 0)))
	st := s.Status()
	b = msg(b, 15, func(b []byte) []byte {
		b = str(b, 2, st.Description)
		return varint(b, 3, statusCode(st.Code))
	})
	return b
}

// temporality maps a temporality to OTLP's (delta 1, cumulative 2).
func temporality(t metricdata.Temporality) uint64 {
	switch t {
	case metricdata.DeltaTemporality:
		return 1
	case metricdata.CumulativeTemporality:
		return 2
	}
	return 0
}

// encodeMetrics returns an ExportMetricsServiceRequest holding rm. Only
// sums, gauges and histograms are encoded: exponential histograms and
// summaries are reported in err and left out (no Elmo instrument makes
// them).
func encodeMetrics(rm *metricdata.ResourceMetrics) (out []byte, err error) {
	out = msg(nil, 1, func(b []byte) []byte { // resource_metrics
		b = resource(b, 1, rm.Resource)
		for _, sm := range rm.ScopeMetrics {
			b = msg(b, 2, func(b []byte) []byte { // scope_metrics
				b = scope(b, 1, sm.Scope)
				for _, m := range sm.Metrics {
					body, ok := metricData(m.Data)
					if !ok {
						err = fmt.Errorf("metric %q: %T is not supported by this build's OTLP exporter", m.Name, m.Data)
						continue
					}
					b = msg(b, 2, func(b []byte) []byte {
						b = str(b, 1, m.Name)
						b = str(b, 2, m.Description)
						b = str(b, 3, m.Unit)
						return append(b, body...)
					})
				}
				return str(b, 3, sm.Scope.SchemaURL)
			})
		}
		if rm.Resource != nil {
			b = str(b, 3, rm.Resource.SchemaURL())
		}
		return b
	})
	return out, err
}

// metricData returns the encoded data field of a Metric: gauge 5, sum 7
// or histogram 9.
func metricData(data metricdata.Aggregation) ([]byte, bool) {
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		return msg(nil, 7, func(b []byte) []byte {
			b = numberPoints(b, d.DataPoints, true)
			b = varint(b, 2, temporality(d.Temporality))
			return varint(b, 3, protowire.EncodeBool(d.IsMonotonic))
		}), true
	case metricdata.Sum[float64]:
		return msg(nil, 7, func(b []byte) []byte {
			b = numberPoints(b, d.DataPoints, false)
			b = varint(b, 2, temporality(d.Temporality))
			return varint(b, 3, protowire.EncodeBool(d.IsMonotonic))
		}), true
	case metricdata.Gauge[int64]:
		return msg(nil, 5, func(b []byte) []byte { return numberPoints(b, d.DataPoints, true) }), true
	case metricdata.Gauge[float64]:
		return msg(nil, 5, func(b []byte) []byte { return numberPoints(b, d.DataPoints, false) }), true
	case metricdata.Histogram[int64]:
		return msg(nil, 9, func(b []byte) []byte {
			b = histogramPoints(b, d.DataPoints)
			return varint(b, 2, temporality(d.Temporality))
		}), true
	case metricdata.Histogram[float64]:
		return msg(nil, 9, func(b []byte) []byte {
			b = histogramPoints(b, d.DataPoints)
			return varint(b, 2, temporality(d.Temporality))
		}), true
	}
	return nil, false
}

// numberPoints appends NumberDataPoints (data_points 1): start 2, time 3,
// as_double 4 or as_int 6, attributes 7.
func numberPoints[N int64 | float64](b []byte, points []metricdata.DataPoint[N], isInt bool) []byte {
	for _, p := range points {
		b = msg(b, 1, func(b []byte) []byte {
			b = fixed64(b, 2, unixNano(p.StartTime))
			b = fixed64(b, 3, unixNano(p.Time))
			if isInt {
				b = fixed64Always(b, 6, uint64(int64(p.Value)))
			} else {
				b = fixed64Always(b, 4, math.Float64bits(float64(p.Value)))
			}
			return attributes(b, 7, p.Attributes.ToSlice())
		})
	}
	return b
}

// histogramPoints appends HistogramDataPoints (data_points 1): start 2,
// time 3, count 4, sum 5, bucket_counts 6, explicit_bounds 7,
// attributes 9, min 11, max 12.
func histogramPoints[N int64 | float64](b []byte, points []metricdata.HistogramDataPoint[N]) []byte {
	for _, p := range points {
		b = msg(b, 1, func(b []byte) []byte {
			b = fixed64(b, 2, unixNano(p.StartTime))
			b = fixed64(b, 3, unixNano(p.Time))
			b = fixed64(b, 4, p.Count)
			b = fixed64Always(b, 5, math.Float64bits(float64(p.Sum)))
			if len(p.BucketCounts) > 0 {
				b = msg(b, 6, func(b []byte) []byte {
					for _, c := range p.BucketCounts {
						b = protowire.AppendFixed64(b, c)
					}
					return b
				})
			}
			if len(p.Bounds) > 0 {
				b = msg(b, 7, func(b []byte) []byte {
					for _, x := range p.Bounds {
						b = protowire.AppendFixed64(b, math.Float64bits(x))
					}
					return b
				})
			}
			b = attributes(b, 9, p.Attributes.ToSlice())
			if v, ok := p.Min.Value(); ok {
				b = fixed64Always(b, 11, math.Float64bits(float64(v)))
			}
			if v, ok := p.Max.Value(); ok {
				b = fixed64Always(b, 12, math.Float64bits(float64(v)))
			}
			return b
		})
	}
	return b
}
