package processors

import (
	"encoding/json"
	"fmt"
	"math"

	"go.opentelemetry.io/otel/attribute"

	"github.com/elmohq/telemetry/catalog"
)

// CheckEvent applies p to an event as it goes on the wire, rather than to
// the span or data point it was made from: the event name must be a span,
// counter or gauge of p; every property must be one the event may carry
// (its catalog properties, the common properties of the resource under
// the names they are sent as, duration_ms and success for a span, value
// for a counter or gauge), of the right type, with a value its catalog
// entry sends as is. It is the check for events that were kept outside
// the pipeline, such as the spool a CLI run leaves for the next one: an
// event that fails is not sent at all.
//
// props holds JSON values as encoding/json decodes them (string, bool,
// float64 or json.Number, []any) or their Go equivalents. The error names
// the event and the key, never a value.
func (p *Policy) CheckEvent(name string, props map[string]any) error {
	ce, ok := p.all[name]
	if !ok || ce.event.Prefix {
		ce = p.prefixSpan(name)
	}
	if ce == nil {
		return fmt.Errorf("event %q is not in the catalog", name)
	}
	kind := ce.event.Kind
	if kind == catalog.KindDirect {
		return fmt.Errorf("event %q is sent directly, never kept for later", name)
	}
	for key, v := range props {
		if err := p.checkWireProperty(ce, kind, key, v); err != nil {
			return fmt.Errorf("event %q: property %q: %w", name, key, err)
		}
	}
	return nil
}

func (p *Policy) checkWireProperty(ce *compiledEvent, kind catalog.Kind, key string, v any) error {
	switch {
	case kind == catalog.KindSpan && key == catalog.PropDurationMS,
		kind != catalog.KindSpan && key == catalog.PropValue:
		f, ok := number(v)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) || (key == catalog.PropDurationMS && f < 0) {
			return fmt.Errorf("not a number")
		}
		return nil
	case kind == catalog.KindSpan && key == catalog.PropSuccess:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("not a boolean")
		}
		return nil
	}
	for i := range p.resource {
		if sent := p.resource[i].SentAs; sent != "" && sent != catalog.FieldDistinctID && sent == key {
			return sentAsIs(&p.resProps[i], key, v)
		}
	}
	for i := range ce.props {
		if string(ce.props[i].key) == key {
			return sentAsIs(&ce.props[i], key, v)
		}
	}
	return fmt.Errorf("not allowed on this event")
}

// sentAsIs checks that the JSON value v of key passes cp unchanged.
func sentAsIs(cp *compiledProp, key string, v any) error {
	kv, ok := attributeOf(cp.typ, key, v)
	if !ok {
		return fmt.Errorf("wrong type, want %v", cp.prop.Type)
	}
	out := kv
	why, changed := cp.check(&kv, &out)
	switch {
	case why != ReasonNone:
		return fmt.Errorf("value refused (%v)", why)
	case changed:
		return fmt.Errorf("value not in the form the catalog sends")
	}
	return nil
}

// attributeOf converts the JSON value v to an attribute of type typ.
func attributeOf(typ attribute.Type, key string, v any) (attribute.KeyValue, bool) {
	switch typ {
	case attribute.STRING:
		s, ok := v.(string)
		return attribute.String(key, s), ok
	case attribute.BOOL:
		b, ok := v.(bool)
		return attribute.Bool(key, b), ok
	case attribute.INT64:
		f, ok := number(v)
		if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return attribute.KeyValue{}, false
		}
		return attribute.Int64(key, int64(f)), true
	case attribute.FLOAT64:
		f, ok := number(v)
		return attribute.Float64(key, f), ok
	case attribute.STRINGSLICE:
		switch vs := v.(type) {
		case []string:
			return attribute.StringSlice(key, vs), true
		case []any:
			ss := make([]string, len(vs))
			for i, e := range vs {
				s, ok := e.(string)
				if !ok {
					return attribute.KeyValue{}, false
				}
				ss[i] = s
			}
			return attribute.StringSlice(key, ss), true
		}
	}
	return attribute.KeyValue{}, false
}

// number returns v as a float64 when it is a JSON number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}
