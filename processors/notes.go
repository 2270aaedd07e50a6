package processors

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/elmohq/telemetry/catalog"
)

// Drop notes explain, in debug output, what the gate removed and why.
// They name keys, catalog entries and rules, never a value that was
// removed: a string that was replaced or dropped shows as "…".

// WithDropNotes makes a filter explain what it removes, for a developer
// reading debug output (ELMO_TELEMETRY_DEBUG=1). report receives one
// note for each span or instrument removed whole, such as
//
//	dropped span cli_foo: not in catalog
//
// when it is removed. What the filter removes from a span or data point
// that it passes on is attached to it instead, for the exporter to print
// after the event:
//
//   - a [SpanFilter] hands on views with a DropNotes() []string method;
//   - the exporter returned by [MetricFilter.Exporter] hands the wrapped
//     exporter a context that carries the notes of each data point, which
//     the exporter of this module prints in debug mode.
//
// Notes name keys, catalog entries and rules, never a removed value. Without
// this option filters keep no notes and cost nothing more. A nil report is
// an error.
func WithDropNotes(report func(note string)) FilterOption {
	return filterOptionFunc(func(c filterConfig) filterConfig {
		c.notes, c.notesSet = report, true
		return c
	})
}

// errNilNotes is returned for WithDropNotes(nil).
var errNilNotes = errors.New("processors: WithDropNotes was given a nil report function")

// entryName names the catalog entry of ce for a note about the event
// called name: the entry's name, or for a prefix entry its display name
// and the span's name.
func (ce *compiledEvent) entryName(name string) string {
	if ce.event.Prefix {
		return ce.event.DisplayName() + " (span " + name + ")"
	}
	return ce.event.Name
}

// explain returns the notes for one attribute of the event called name:
// why it is dropped, or what it is sent as instead of its value. It
// returns nil for an attribute sent as it is.
func (ce *compiledEvent) explain(name string, kv attribute.KeyValue) []string {
	var cp *compiledProp
	for i := range ce.props {
		if ce.props[i].key == kv.Key {
			cp = &ce.props[i]
			break
		}
	}
	key := string(kv.Key)
	if cp == nil {
		return []string{fmt.Sprintf("dropped attribute %s: not in catalog entry %s", key, ce.entryName(name))}
	}
	if kv.Value.Type() != cp.typ {
		return []string{fmt.Sprintf("dropped attribute %s: catalog entry %s declares it %v, it was set as %s",
			key, ce.entryName(name), cp.prop.Type, strings.ToLower(kv.Value.Type().String()))}
	}
	var ss []string
	switch cp.typ {
	case attribute.STRING:
		ss = []string{kv.Value.AsString()}
	case attribute.STRINGSLICE:
		ss = kv.Value.AsStringSlice()
	default:
		return nil
	}
	var notes []string
	for _, s := range ss {
		note, dropped := cp.explainString(key, s)
		if dropped {
			return []string{note}
		}
		if note != "" && !containsString(notes, note) {
			notes = append(notes, note)
		}
	}
	return notes
}

// explainString explains what happens to the string s of the property
// cp: dropped reports that the attribute is dropped for it.
func (cp *compiledProp) explainString(key, s string) (note string, dropped bool) {
	t, ok := cp.prop.Normalize(s)
	if !ok {
		if len(cp.prop.Values) > 0 {
			return fmt.Sprintf("dropped attribute %s: value not one of its catalog values (%s)",
				key, strings.Join(cp.prop.Values, ", ")), true
		}
		return fmt.Sprintf("dropped attribute %s: value does not pass rule %v", key, cp.prop.Rule), true
	}
	out, why, ok := Scrub(t)
	if !ok {
		return fmt.Sprintf("dropped attribute %s: value looks like a %s (scrubbed)", key, scrubWhat(why)), true
	}
	switch {
	case t != s:
		var rule string
		switch {
		case cp.prop.Rule == catalog.RuleModelName && t == catalog.Other:
			rule = "no public family matched"
		case cp.prop.Rule == catalog.RuleModelName && t == catalog.ModelFineTuned:
			rule = "a fine-tuned model"
		case cp.prop.Rule != catalog.RuleNone:
			rule = "rule " + cp.prop.Rule.String()
		default:
			rule = "not one of its catalog values"
		}
		return fmt.Sprintf("%s \"…\": sent as %s (%s)", key, t, rule), false
	case out != t:
		return fmt.Sprintf("%s \"…\": cut to %d bytes", key, MaxValueLen), false
	}
	return "", false
}

// scrubWhat words a scrubber reason for a note.
func scrubWhat(r Reason) string {
	switch r {
	case ReasonPath:
		return "file path"
	case ReasonURL:
		return "URL"
	case ReasonEmail:
		return "email address"
	case ReasonHostname:
		return "host name or address"
	case ReasonCredential:
		return "credential"
	}
	return r.String()
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// spanNotes returns the notes of a span the filter passes on: what it
// removed from its attributes, and the span events, links and status
// description that never pass.
func (f *SpanFilter) spanNotes(ce *compiledEvent, name string, attrs []attribute.KeyValue, events, links int, statusDesc bool) []string {
	var notes []string
	for _, kv := range attrs {
		for _, n := range ce.explain(name, kv) {
			if !containsString(notes, n) {
				notes = append(notes, n)
			}
		}
	}
	if events > 0 {
		notes = append(notes, fmt.Sprintf("dropped %d span event(s) (logs, exceptions): span events are never sent", events))
	}
	if links > 0 {
		notes = append(notes, fmt.Sprintf("dropped %d span link(s): links are never sent", links))
	}
	if statusDesc {
		notes = append(notes, "dropped the status description: only the status code is sent")
	}
	return notes
}

// quoteName returns a span or instrument name for a note: the name, unless
// it would not pass the scrubber (a name made from a URL or a path), in
// which case only its length is shown.
func quoteName(name string) string {
	if _, why, ok := Scrub(name); !ok {
		return fmt.Sprintf("(a name of %d bytes that looks like a %s)", len(name), scrubWhat(why))
	}
	return name
}
