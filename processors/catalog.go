package processors

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
	// a span or an instrument. The filters of this package never pass one on.
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

// attrType returns the attribute type that values of t carry.
func (t ValueType) attrType() attribute.Type {
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

// Format constrains the shape of a free (non-enumerated) string value beyond
// the scrubber.
type Format int

const (
	// FormatAny accepts any string that passes [Scrub]. It is the default.
	FormatAny Format = iota
	// FormatName accepts a short identifier such as a model name
	// ("gpt-4o-mini", "claude-3.5-sonnet", "llama3.1:8b"): 1 to
	// [MaxNameLen] bytes of lower-case ASCII letters, digits and . - _ :,
	// starting with a letter or a digit.
	FormatName
)

// String returns a short description of f for the catalog.
func (f Format) String() string {
	switch f {
	case FormatAny:
		return "any"
	case FormatName:
		return "name"
	default:
		return fmt.Sprintf("Format(%d)", int(f))
	}
}

// Property is one attribute an event may carry.
type Property struct {
	// Key is the attribute key, which is also the property name in the
	// event, such as "exit_code".
	Key attribute.Key
	// Type is the type the value must have.
	Type ValueType
	// Description says what the property is for, in one sentence.
	Description string
	// Values, when not empty, enumerates the only values allowed for a
	// TypeString property, or for each element of a TypeStringSlice
	// property. When empty, any value that passes [Scrub] and Format is
	// allowed.
	Values []string
	// Format constrains free string values. It applies to TypeString and
	// TypeStringSlice properties without Values.
	Format Format
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

// clone returns a deep copy of e.
func (e Event) clone() Event {
	e.Properties = cloneProperties(e.Properties)
	e.PersonProperties = cloneProperties(e.PersonProperties)
	return e
}

func cloneProperties(ps []Property) []Property {
	if ps == nil {
		return nil
	}
	out := make([]Property, len(ps))
	for i, p := range ps {
		p.Values = cloneStrings(p.Values)
		out[i] = p
	}
	return out
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
