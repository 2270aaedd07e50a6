package catalog

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
)

// Kind says how an event of the catalog is produced.
type Kind int

const (
	// KindSpan is an event made from an ended span: one span, one event.
	KindSpan Kind = iota + 1
	// KindCounter is an event made from each data point of a monotonic
	// counter instrument (Int64Counter, Float64Counter or their observable
	// forms), carrying the delta of the export interval as its value.
	KindCounter
	// KindGauge is an event made from each data point of a gauge instrument
	// (Int64Gauge, Float64Gauge or their observable forms), carrying the last
	// value as its value.
	KindGauge
	// KindDirect is an event sent directly by Elmo code rather than made from
	// a span or an instrument. No filter passes one on from a span or an
	// instrument.
	KindDirect
)

// String returns the lower-case name of k, such as "span" or "counter".
func (k Kind) String() string {
	switch k {
	case KindSpan:
		return "span"
	case KindCounter:
		return "counter"
	case KindGauge:
		return "gauge"
	case KindDirect:
		return "direct"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Source names the Elmo program that produces an event.
type Source string

const (
	// SourceCLI is the elmo command-line tool.
	SourceCLI Source = "cli"
	// SourceWeb is the web app of the local deployment (elmo-web).
	SourceWeb Source = "web"
	// SourceWorker is the worker of the local deployment (elmo-worker).
	SourceWorker Source = "worker"
)

// ValueType is the type an event property must have. A value of another
// type is dropped with its key.
type ValueType int

const (
	// TypeString is a string (attribute.STRING).
	TypeString ValueType = iota + 1
	// TypeStringSlice is a slice of strings (attribute.STRINGSLICE).
	TypeStringSlice
	// TypeInt is a 64-bit integer (attribute.INT64).
	TypeInt
	// TypeBool is a boolean (attribute.BOOL).
	TypeBool
	// TypeFloat is a 64-bit float (attribute.FLOAT64).
	TypeFloat
)

// String returns the name of t as shown in the catalog, such as "string"
// or "string[]".
func (t ValueType) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeStringSlice:
		return "string[]"
	case TypeInt:
		return "int"
	case TypeBool:
		return "bool"
	case TypeFloat:
		return "float"
	default:
		return fmt.Sprintf("ValueType(%d)", int(t))
	}
}

// AttributeType returns the OpenTelemetry attribute type that values of t
// carry, or attribute.INVALID for an unknown t.
func (t ValueType) AttributeType() attribute.Type {
	switch t {
	case TypeString:
		return attribute.STRING
	case TypeStringSlice:
		return attribute.STRINGSLICE
	case TypeInt:
		return attribute.INT64
	case TypeBool:
		return attribute.BOOL
	case TypeFloat:
		return attribute.FLOAT64
	default:
		return attribute.INVALID
	}
}

// Property is one attribute an event may carry, or one resource attribute
// that may leave the process.
type Property struct {
	// Key is the attribute key, which is also the property name in the
	// event, such as "exit_code". For a resource attribute, SentAs is the
	// property name.
	Key attribute.Key
	// Type is the type the value must have.
	Type ValueType
	// Description says what the property is for, in one sentence.
	Description string
	// Values, when not empty, enumerates the only values allowed for a
	// TypeString property, or for each element of a TypeStringSlice
	// property.
	Values []string
	// Other, when not empty, is sent in place of a value that is not one
	// of Values; it must be one of Values. When empty, such a value is
	// dropped with its key.
	Other string
	// Rule decides what a string value without Values is sent as. Every
	// string property has Values or a Rule: none is free-form.
	Rule Rule
	// SentAs is, for a resource attribute, the name of the event field it
	// is sent under, such as "version" for service.version or
	// "distinct_id" for the install ID; empty means it is not part of the
	// events sent to PostHog (a local debugging exporter shows it). It is
	// not used for event properties.
	SentAs string
}

// Normalize returns what the string s is sent as under p: s itself when
// it is one of p's Values, p's Other when it is not and p has one, else
// what p's Rule makes of it. ok is false when s must be dropped with its
// key. Normalize does not check the type; call it for the value of a
// TypeString property or for each element of a TypeStringSlice property.
func (p Property) Normalize(s string) (out string, ok bool) {
	if len(p.Values) > 0 {
		for _, v := range p.Values {
			if v == s {
				return s, true
			}
		}
		if p.Other != "" {
			return p.Other, true
		}
		return "", false
	}
	return p.Rule.Apply(s)
}

// Event is one entry of the catalog: an event name and the properties it
// may carry.
type Event struct {
	// Name is the event name: the span name for KindSpan, the instrument
	// name for KindCounter and KindGauge. When Prefix is true, it is the
	// prefix shared by a family of spans, such as "cli_".
	Name string
	// Kind says how the event is produced.
	Kind Kind
	// Source names the program that produces the event.
	Source Source
	// Description says what the event is for, in one sentence.
	Description string
	// Properties are the attributes the event may carry, besides the
	// common properties that every event gets from the resource.
	Properties []Property
	// PersonProperties document what a KindDirect event sets on the person
	// ($set). They are never read from spans or instruments.
	PersonProperties []Property
	// Prefix makes the entry match every span whose name is Name followed
	// by one or more of the characters a-z, 0-9 and _, such as "cli_start"
	// for Name "cli_". An entry whose full name matches takes precedence.
	Prefix bool
}

// DisplayName returns the name as documentation shows it: Name, or for a
// prefix entry Name followed by "<command>", such as "cli_<command>".
func (e Event) DisplayName() string {
	if e.Prefix {
		return e.Name + "<command>"
	}
	return e.Name
}

// Clone returns a deep copy of e, which the caller may change.
func (e Event) Clone() Event {
	e.Properties = CloneProperties(e.Properties)
	e.PersonProperties = CloneProperties(e.PersonProperties)
	return e
}

// CloneProperties returns a deep copy of ps.
func CloneProperties(ps []Property) []Property {
	if ps == nil {
		return nil
	}
	out := make([]Property, len(ps))
	for i, p := range ps {
		p.Values = clone(p.Values)
		out[i] = p
	}
	return out
}

func clone(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
