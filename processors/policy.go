package processors

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/elmohq/telemetry/catalog"
)

// Scope is the instrumentation scope of every span and metric that
// passes the gate, whatever tracer or meter recorded it.
var Scope = instrumentation.Scope{Name: "github.com/elmohq/telemetry"}

// MaxEventNameLen is the longest event name a policy accepts, in bytes,
// including the names of spans matched by a prefix entry.
const MaxEventNameLen = catalog.MaxEventNameLen

// ErrInvalidPolicy is wrapped by the errors of [NewPolicy].
var ErrInvalidPolicy = errors.New("invalid telemetry policy")

// Policy is the allowlist: which span and instrument names become events,
// which attributes each may carry, with which types and values, and which
// resource attributes may leave the process. Anything not in the policy is
// dropped. A Policy is immutable and safe for concurrent use.
type Policy struct {
	events      []catalog.Event
	spans       map[string]*compiledEvent
	prefixes    []*compiledEvent
	instruments map[string]*compiledEvent
	all         map[string]*compiledEvent
	resource    []catalog.Property
	resProps    []compiledProp
}

type compiledEvent struct {
	event catalog.Event
	props []compiledProp
}

type compiledProp struct {
	key  attribute.Key
	typ  attribute.Type
	prop catalog.Property
}

// PolicyOption configures [NewPolicy].
type PolicyOption interface {
	apply(policyConfig) policyConfig
}

type policyConfig struct {
	resource []catalog.Property
}

type policyOptionFunc func(policyConfig) policyConfig

func (f policyOptionFunc) apply(c policyConfig) policyConfig { return f(c) }

// newPolicyConfig returns the configuration opts make.
func newPolicyConfig(opts []PolicyOption) policyConfig {
	var cfg policyConfig
	for _, o := range opts {
		cfg = o.apply(cfg)
	}
	return cfg
}

// WithResourceAttributes sets the resource attributes that may leave the
// process, such as service.version. Values must be strings and pass
// [Scrub]. Without this option no resource attribute is allowed. Repeated
// uses add to the list.
func WithResourceAttributes(props ...catalog.Property) PolicyOption {
	props = catalog.CloneProperties(props)
	return policyOptionFunc(func(c policyConfig) policyConfig {
		c.resource = append(c.resource, props...)
		return c
	})
}

// NewPolicy validates events and returns the policy that allows them and
// nothing else. It reports every problem it finds, wrapped with
// [ErrInvalidPolicy]: an empty or malformed name, a duplicate name, a
// prefix entry that is not a span or overlaps another prefix, a missing
// kind, source or description, a property with an empty or duplicate key,
// an unknown type, enumerated values or a rule on a non-string type, a
// free-form string (neither enumerated values nor a rule), a fallback
// that is not one of the values, or an enumerated value that is empty,
// repeated or would not pass [Scrub].
func NewPolicy(events []catalog.Event, opts ...PolicyOption) (*Policy, error) {
	cfg := newPolicyConfig(opts)
	p := &Policy{
		spans:       make(map[string]*compiledEvent),
		instruments: make(map[string]*compiledEvent),
		all:         make(map[string]*compiledEvent),
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	for i, e := range events {
		e = e.Clone()
		what := fmt.Sprintf("event %q", e.Name)
		if e.Name == "" {
			what = fmt.Sprintf("event #%d", i)
		}
		if err := validName(e.Name, e.Prefix); err != nil {
			fail("%s: %w", what, err)
		}
		switch e.Kind {
		case catalog.KindSpan, catalog.KindCounter, catalog.KindGauge, catalog.KindDirect:
		default:
			fail("%s: unknown kind %v: set Kind to catalog.KindSpan, KindCounter, KindGauge or KindDirect", what, e.Kind)
		}
		if e.Prefix && e.Kind != catalog.KindSpan {
			fail("%s: only span entries can be prefixes, this one is a %v", what, e.Kind)
		}
		if e.Source == "" {
			fail("%s: no source: set Source to the program that sends it (catalog.SourceCLI, SourceWeb or SourceWorker)", what)
		}
		if e.Description == "" {
			fail("%s: no description: say in Description, in one sentence, what the event is for", what)
		}
		if _, dup := p.all[e.Name]; dup {
			fail("%s: defined twice: keep one entry of that name", what)
		}
		if len(e.PersonProperties) > 0 && e.Kind != catalog.KindDirect {
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
				fail("%s: property %q: defined twice: keep one", what, prop.Key)
			}
			seen[prop.Key] = true
			ce.props = append(ce.props, cp)
		}
		seen = make(map[attribute.Key]bool)
		for _, prop := range e.PersonProperties {
			if perrs := checkPersonProperty(prop); len(perrs) > 0 {
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
		case e.Kind == catalog.KindSpan:
			p.spans[e.Name] = ce
		case e.Kind == catalog.KindCounter || e.Kind == catalog.KindGauge:
			p.instruments[e.Name] = ce
		}
	}

	seen := make(map[attribute.Key]bool)
	for _, prop := range cfg.resource {
		cp, perrs := compileProperty(prop)
		for _, err := range perrs {
			fail("resource attribute %q: %w", prop.Key, err)
		}
		if prop.Type != catalog.TypeString {
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
	case !catalog.NameChars(name):
		return errors.New("name must use only a-z, 0-9 and _")
	case prefix && name[len(name)-1] != '_':
		return errors.New(`a prefix must end with "_"`)
	case prefix && len(name) == MaxEventNameLen:
		return fmt.Errorf("prefix leaves no room for a name within %d bytes", MaxEventNameLen)
	}
	return nil
}

func compileProperty(prop catalog.Property) (compiledProp, []error) {
	var errs []error
	if prop.Key == "" {
		errs = append(errs, errors.New("empty key"))
	}
	if prop.Description == "" {
		errs = append(errs, errors.New("no description: say in Description, in one sentence, what the property is for"))
	}
	typ := prop.Type.AttributeType()
	if typ == attribute.INVALID {
		errs = append(errs, fmt.Errorf("unknown type %v: set Type to catalog.TypeString, TypeStringSlice, TypeInt, TypeBool or TypeFloat", prop.Type))
	}
	isString := prop.Type == catalog.TypeString || prop.Type == catalog.TypeStringSlice
	switch {
	case !isString && len(prop.Values) > 0:
		errs = append(errs, fmt.Errorf("enumerated values on a %v property: only a string lists Values; remove them", prop.Type))
	case !isString && prop.Rule != catalog.RuleNone:
		errs = append(errs, fmt.Errorf("rule %v on a %v property: only a string has a Rule; remove it", prop.Rule, prop.Type))
	case isString && len(prop.Values) > 0 && prop.Rule != catalog.RuleNone:
		errs = append(errs, fmt.Errorf("rule %v together with enumerated values: keep the Values or the Rule", prop.Rule))
	case isString && len(prop.Values) == 0 && prop.Rule == catalog.RuleNone:
		errs = append(errs, fmt.Errorf("free-form string: no string is sent as typed, so list its Values (with Other: catalog.Other to send any other value as %q) or give it a Rule (%v); a yes or no is a TypeBool, a count a TypeInt", catalog.Other, rules()))
	}
	if prop.Rule != catalog.RuleNone && !slices.Contains(catalog.Rules(), prop.Rule) {
		errs = append(errs, fmt.Errorf("unknown rule %v: use %v", prop.Rule, rules()))
	}
	if prop.Other != "" && !slices.Contains(prop.Values, prop.Other) {
		errs = append(errs, fmt.Errorf("fallback %q is not one of the values: add it to Values", prop.Other))
	}
	seen := make(map[string]bool, len(prop.Values))
	for _, v := range prop.Values {
		switch {
		case v == "":
			errs = append(errs, errors.New("empty enumerated value: remove it"))
		case seen[v]:
			errs = append(errs, fmt.Errorf("enumerated value %q listed twice: remove one", v))
		default:
			if out, why, ok := Scrub(v); !ok || out != v {
				errs = append(errs, fmt.Errorf("enumerated value %q would not pass the scrubber (%v): values are sent as they are, so choose one that looks like no path, URL, email, host name or secret", v, why))
			}
		}
		seen[v] = true
	}
	prop.Values = slices.Clone(prop.Values)
	return compiledProp{key: prop.Key, typ: typ, prop: prop}, errs
}

// rules names the value rules of catalog/rules.go, for messages.
func rules() string {
	names := make([]string, 0, len(catalog.Rules()))
	for _, r := range catalog.Rules() {
		names = append(names, r.String())
	}
	return "one of catalog/rules.go: " + strings.Join(names, ", ")
}

// checkPersonProperty checks a person property of a direct event, which
// documents what the event sets and is never read from a span.
func checkPersonProperty(prop catalog.Property) []error {
	var errs []error
	if prop.Key == "" {
		errs = append(errs, errors.New("empty key"))
	}
	if prop.Description == "" {
		errs = append(errs, errors.New("no description (what the property is for)"))
	}
	if prop.Type.AttributeType() == attribute.INVALID {
		errs = append(errs, fmt.Errorf("unknown type %v", prop.Type))
	}
	return errs
}

var defaultPolicy = sync.OnceValue(func() *Policy {
	p, err := NewPolicy(catalog.Events(), WithResourceAttributes(catalog.Resource()...))
	if err != nil {
		// The catalog is static data: go test ./catalog checks each
		// entry and says what to change.
		panic(fmt.Errorf("catalog/events.go: %w (go test ./catalog names each entry to fix)", err))
	}
	return p
})

// DefaultPolicy returns the policy of the Elmo catalog ([catalog.Events])
// and of the resource attributes of [catalog.Resource]. It is built once
// and shared.
func DefaultPolicy() *Policy { return defaultPolicy() }

// Events returns a copy of the events of p, in the order they were given.
func (p *Policy) Events() []catalog.Event {
	out := make([]catalog.Event, len(p.events))
	for i, e := range p.events {
		out[i] = e.Clone()
	}
	return out
}

// ResourceAttributes returns a copy of the resource attributes p allows.
func (p *Policy) ResourceAttributes() []catalog.Property {
	return catalog.CloneProperties(p.resource)
}

// Event returns the entry of p that name falls under: the entry with that
// exact name, else the prefix entry whose family the span name belongs to.
func (p *Policy) Event(name string) (catalog.Event, bool) {
	if ce, ok := p.all[name]; ok && !ce.event.Prefix {
		return ce.event.Clone(), true
	}
	if ce := p.prefixSpan(name); ce != nil {
		return ce.event.Clone(), true
	}
	return catalog.Event{}, false
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
		if catalog.InFamily(name, pre) {
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
		if t != s {
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
			if t != s {
				ss[i], changed = t, true
			}
		}
		if changed {
			// Values sent in place of others ("other", a model's public
			// name) are listed once.
			seen := make(map[string]bool, len(ss))
			kept := ss[:0]
			for _, s := range ss {
				if !seen[s] {
					seen[s] = true
					kept = append(kept, s)
				}
			}
			*out = attribute.StringSlice(string(kv.Key), kept)
			return ReasonNone, true
		}
	}
	return ReasonNone, false
}

func (cp *compiledProp) checkString(s string) (string, Reason) {
	if vals := cp.prop.Values; len(vals) > 0 {
		// The enumerated values passed the scrubber when the policy was
		// made: no need to scrub them again on every span.
		for _, v := range vals {
			if v == s {
				return s, ReasonNone
			}
		}
		if cp.prop.Other != "" {
			return cp.prop.Other, ReasonNone
		}
		return "", ReasonNotInEnum
	}
	t, ok := cp.prop.Rule.Apply(s)
	if !ok {
		return "", ReasonInvalid
	}
	out, why, _ := Scrub(t)
	return out, why
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
