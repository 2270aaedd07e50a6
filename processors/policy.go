package processors

import (
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

// MaxEventNameLen is the longest event name a policy accepts, in bytes,
// including the names of spans matched by a prefix entry.
const MaxEventNameLen = 64

// ErrInvalidPolicy is wrapped by the errors of [NewPolicy].
var ErrInvalidPolicy = errors.New("invalid telemetry policy")

// Policy is the allowlist: which span and instrument names become events,
// which attributes each may carry, with which types and values, and which
// resource attributes may leave the process. Anything not in the policy is
// dropped. A Policy is immutable and safe for concurrent use.
type Policy struct {
	events      []Event
	spans       map[string]*compiledEvent
	prefixes    []*compiledEvent
	instruments map[string]*compiledEvent
	all         map[string]*compiledEvent
	resource    []Property
	resProps    []compiledProp
}

type compiledEvent struct {
	event Event
	props []compiledProp
}

type compiledProp struct {
	key    attribute.Key
	typ    attribute.Type
	values []string
	format Format
}

// PolicyOption configures [NewPolicy].
type PolicyOption interface {
	apply(*policyConfig)
}

type policyConfig struct {
	resource []Property
}

type policyOptionFunc func(*policyConfig)

func (f policyOptionFunc) apply(c *policyConfig) { f(c) }

// WithResourceAttributes sets the resource attributes that may leave the
// process, such as service.version. Values must be strings and pass
// [Scrub]. Without this option no resource attribute is allowed. Repeated
// uses add to the list.
func WithResourceAttributes(props ...Property) PolicyOption {
	props = cloneProperties(props)
	return policyOptionFunc(func(c *policyConfig) {
		c.resource = append(c.resource, props...)
	})
}

// NewPolicy validates events and returns the policy that allows them and
// nothing else. It reports every problem it finds, wrapped with
// [ErrInvalidPolicy]: an empty or malformed name, a duplicate name, a
// prefix entry that is not a span or overlaps another prefix, a missing
// kind, source or description, a property with an empty or duplicate key,
// an unknown type, enumerated values on a non-string type, or an
// enumerated value that is empty, repeated or would not pass [Scrub].
func NewPolicy(events []Event, opts ...PolicyOption) (*Policy, error) {
	var cfg policyConfig
	for _, o := range opts {
		o.apply(&cfg)
	}
	p := &Policy{
		spans:       make(map[string]*compiledEvent),
		instruments: make(map[string]*compiledEvent),
		all:         make(map[string]*compiledEvent),
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	for i, e := range events {
		e = e.clone()
		what := fmt.Sprintf("event %q", e.Name)
		if e.Name == "" {
			what = fmt.Sprintf("event #%d", i)
		}
		if err := validName(e.Name, e.Prefix); err != nil {
			fail("%s: %w", what, err)
		}
		switch e.Kind {
		case KindSpan, KindCounter, KindGauge, KindDirect:
		default:
			fail("%s: unknown kind %v", what, e.Kind)
		}
		if e.Prefix && e.Kind != KindSpan {
			fail("%s: only span entries can be prefixes, this one is a %v", what, e.Kind)
		}
		if e.Source == "" {
			fail("%s: no source (the program that sends it)", what)
		}
		if e.Description == "" {
			fail("%s: no description (what the event is for)", what)
		}
		if _, dup := p.all[e.Name]; dup {
			fail("%s: defined twice", what)
		}
		if len(e.PersonProperties) > 0 && e.Kind != KindDirect {
			fail("%s: only direct events can set person properties", what)
		}
		ce := &compiledEvent{event: e}
		seen := make(map[attribute.Key]bool)
		for _, prop := range e.Properties {
			cp, perrs := compileProperty(prop)
			for _, err := range perrs {
				fail("%s: property %q: %w", what, prop.Key, err)
			}
			if seen[prop.Key] {
				fail("%s: property %q: defined twice", what, prop.Key)
			}
			seen[prop.Key] = true
			ce.props = append(ce.props, cp)
		}
		seen = make(map[attribute.Key]bool)
		for _, prop := range e.PersonProperties {
			if _, perrs := compileProperty(prop); len(perrs) > 0 {
				for _, err := range perrs {
					fail("%s: person property %q: %w", what, prop.Key, err)
				}
			}
			if seen[prop.Key] {
				fail("%s: person property %q: defined twice", what, prop.Key)
			}
			seen[prop.Key] = true
		}

		p.events = append(p.events, e)
		p.all[e.Name] = ce
		switch {
		case e.Prefix:
			for _, other := range p.prefixes {
				a, b := other.event.Name, e.Name
				if len(a) > len(b) {
					a, b = b, a
				}
				if b[:len(a)] == a {
					fail("%s: prefix overlaps prefix %q", what, other.event.Name)
				}
			}
			p.prefixes = append(p.prefixes, ce)
		case e.Kind == KindSpan:
			p.spans[e.Name] = ce
		case e.Kind == KindCounter || e.Kind == KindGauge:
			p.instruments[e.Name] = ce
		}
	}

	seen := make(map[attribute.Key]bool)
	for _, prop := range cfg.resource {
		cp, perrs := compileProperty(prop)
		for _, err := range perrs {
			fail("resource attribute %q: %w", prop.Key, err)
		}
		if prop.Type != TypeString {
			fail("resource attribute %q: type %v, only strings are supported", prop.Key, prop.Type)
		}
		if seen[prop.Key] {
			fail("resource attribute %q: defined twice", prop.Key)
		}
		seen[prop.Key] = true
		p.resource = append(p.resource, prop)
		p.resProps = append(p.resProps, cp)
	}

	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPolicy, errors.Join(errs...))
	}
	return p, nil
}

// validName checks an event name, or the prefix of a prefix entry.
func validName(name string, prefix bool) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case len(name) > MaxEventNameLen:
		return fmt.Errorf("name longer than %d bytes", MaxEventNameLen)
	case !nameChars(name):
		return errors.New("name must use only a-z, 0-9 and _")
	case prefix && name[len(name)-1] != '_':
		return errors.New(`a prefix must end with "_"`)
	case prefix && len(name) == MaxEventNameLen:
		return fmt.Errorf("prefix leaves no room for a name within %d bytes", MaxEventNameLen)
	}
	return nil
}

// nameChars reports whether s holds only a-z, 0-9 and _.
func nameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func compileProperty(prop Property) (compiledProp, []error) {
	var errs []error
	if prop.Key == "" {
		errs = append(errs, errors.New("empty key"))
	}
	if prop.Description == "" {
		errs = append(errs, errors.New("no description (what the property is for)"))
	}
	typ := prop.Type.attrType()
	if typ == attribute.INVALID {
		errs = append(errs, fmt.Errorf("unknown type %v", prop.Type))
	}
	isString := prop.Type == TypeString || prop.Type == TypeStringSlice
	if len(prop.Values) > 0 && !isString {
		errs = append(errs, fmt.Errorf("enumerated values on a %v property", prop.Type))
	}
	switch prop.Format {
	case FormatAny:
	case FormatName:
		if !isString {
			errs = append(errs, fmt.Errorf("format %v on a %v property", prop.Format, prop.Type))
		}
		if len(prop.Values) > 0 {
			errs = append(errs, fmt.Errorf("format %v together with enumerated values", prop.Format))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown format %v", prop.Format))
	}
	seen := make(map[string]bool, len(prop.Values))
	for _, v := range prop.Values {
		switch {
		case v == "":
			errs = append(errs, errors.New("empty enumerated value"))
		case seen[v]:
			errs = append(errs, fmt.Errorf("enumerated value %q listed twice", v))
		default:
			if out, why, ok := Scrub(v); !ok || out != v {
				errs = append(errs, fmt.Errorf("enumerated value %q would not pass the scrubber (%v)", v, why))
			}
		}
		seen[v] = true
	}
	return compiledProp{key: prop.Key, typ: typ, values: cloneStrings(prop.Values), format: prop.Format}, errs
}

var defaultPolicy = sync.OnceValue(func() *Policy {
	p, err := NewPolicy(catalog, WithResourceAttributes(resourceCatalog...))
	if err != nil {
		// The catalog is static data checked by the package tests.
		panic(err)
	}
	return p
})

// DefaultPolicy returns the policy of the Elmo catalog ([Catalog]) and of
// the resource attributes of [ResourceCatalog]. It is built once and
// shared.
func DefaultPolicy() *Policy { return defaultPolicy() }

// Events returns a copy of the events of p, in the order they were given.
func (p *Policy) Events() []Event {
	out := make([]Event, len(p.events))
	for i, e := range p.events {
		out[i] = e.clone()
	}
	return out
}

// ResourceAttributes returns a copy of the resource attributes p allows.
func (p *Policy) ResourceAttributes() []Property { return cloneProperties(p.resource) }

// Event returns the entry of p that name falls under: the entry with that
// exact name, else the prefix entry whose family the span name belongs to.
func (p *Policy) Event(name string) (Event, bool) {
	if ce, ok := p.all[name]; ok && !ce.event.Prefix {
		return ce.event.clone(), true
	}
	if ce := p.prefixSpan(name); ce != nil {
		return ce.event.clone(), true
	}
	return Event{}, false
}

// span returns the entry of an ended span named name, or nil.
func (p *Policy) span(name string) *compiledEvent {
	if ce, ok := p.spans[name]; ok {
		return ce
	}
	return p.prefixSpan(name)
}

func (p *Policy) prefixSpan(name string) *compiledEvent {
	for _, ce := range p.prefixes {
		pre := ce.event.Name
		if len(name) > len(pre) && len(name) <= MaxEventNameLen && name[:len(pre)] == pre && nameChars(name[len(pre):]) {
			return ce
		}
	}
	return nil
}

// Allow checks one attribute of the event named name. It returns the
// attribute to send (its string values truncated to [MaxValueLen]), or
// ok false and the reason it must be dropped: the event is not in p
// (ReasonKeyNotAllowed, as no key is allowed), the key is not allowed, the
// value has the wrong type, is not one of the enumerated values, does not
// have the required format, or fails [Scrub].
func (p *Policy) Allow(name string, kv attribute.KeyValue) (out attribute.KeyValue, why Reason, ok bool) {
	ce, found := p.all[name]
	if !found || ce.event.Prefix {
		ce = p.prefixSpan(name)
	}
	if ce == nil {
		return attribute.KeyValue{}, ReasonKeyNotAllowed, false
	}
	out = kv
	if why, _ = ce.check(&kv, &out); why != ReasonNone {
		return attribute.KeyValue{}, why, false
	}
	return out, ReasonNone, true
}

// check applies the event's allowlist to *kv. When the value must change
// (a string truncated), it stores the attribute to send in *out and
// reports changed. Pointers keep the hot path from copying KeyValues.
func (ce *compiledEvent) check(kv, out *attribute.KeyValue) (why Reason, changed bool) {
	for i := range ce.props {
		if ce.props[i].key == kv.Key {
			return ce.props[i].check(kv, out)
		}
	}
	return ReasonKeyNotAllowed, false
}

func (cp *compiledProp) check(kv, out *attribute.KeyValue) (why Reason, changed bool) {
	if kv.Value.Type() != cp.typ {
		return ReasonWrongType, false
	}
	switch cp.typ {
	case attribute.STRING:
		s := kv.Value.AsString()
		t, why := cp.checkString(s)
		if why != ReasonNone {
			return why, false
		}
		if len(t) != len(s) {
			*out = attribute.String(string(kv.Key), t)
			return ReasonNone, true
		}
	case attribute.STRINGSLICE:
		ss := kv.Value.AsStringSlice() // a copy
		changed := false
		for i, s := range ss {
			t, why := cp.checkString(s)
			if why != ReasonNone {
				return why, false
			}
			if len(t) != len(s) {
				ss[i], changed = t, true
			}
		}
		if changed {
			*out = attribute.StringSlice(string(kv.Key), ss)
			return ReasonNone, true
		}
	}
	return ReasonNone, false
}

func (cp *compiledProp) checkString(s string) (string, Reason) {
	if len(cp.values) > 0 {
		for _, v := range cp.values {
			if v == s {
				return s, ReasonNone
			}
		}
		return "", ReasonNotInEnum
	}
	if cp.format == FormatName && !nameShape(s) {
		return "", ReasonInvalid
	}
	out, why, _ := Scrub(s)
	return out, why
}

// nameShape reports whether s has the shape of FormatName.
func nameShape(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '-' || c == '_' || c == ':'):
		default:
			return false
		}
	}
	return true
}

// FilterResource returns a resource with only the attributes of res that
// p allows, with values that pass [Scrub] (truncated to [MaxValueLen]),
// and the schema URL of res. Use it for the resource of a MeterProvider;
// the [SpanFilter] applies it to spans itself. A nil res gives an empty
// resource.
func (p *Policy) FilterResource(res *resource.Resource) *resource.Resource {
	if res == nil {
		return resource.Empty()
	}
	kept := make([]attribute.KeyValue, 0, len(p.resProps))
	for it := res.Iter(); it.Next(); {
		kv := it.Attribute()
		for i := range p.resProps {
			if p.resProps[i].key == kv.Key {
				out := kv
				if why, _ := p.resProps[i].check(&kv, &out); why == ReasonNone {
					kept = append(kept, out)
				}
				break
			}
		}
	}
	return resource.NewWithAttributes(res.SchemaURL(), kept...)
}
