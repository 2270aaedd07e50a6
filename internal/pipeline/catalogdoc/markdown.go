package catalogdoc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/elmohq/telemetry/catalog"
)

// The markers that enclose the generated section of a document. They are
// HTML comments, so they do not show when the Markdown is rendered.
const (
	BeginMarker = "<!-- catalog:begin -->"
	EndMarker   = "<!-- catalog:end -->"
)

// Documents are the files, relative to the module root, that hold the
// generated section: the telemetry page, the one place that lists what is
// collected.
var Documents = []string{"docs/telemetry.md"}

// Generator is the command that rewrites the generated section of
// every file in Documents, run from the module root: the go:generate line
// of catalog/events.go runs cmd/gencatalog.
const Generator = "go generate ./..."

// LibraryProperties are the properties that name the library delivering
// the events in every event: elmo-telemetry and its version. The system
// context that PostHog's Go client would add as well ($os, $os_version,
// $os_distro, $go_version) is never sent.
var LibraryProperties = catalog.TransportProperties()

// Markdown returns the "What is collected" section of the telemetry page
// for the given catalog events and resource attributes: a table of the events,
// their kind, the program that sends them, their properties with the
// allowed values and what they are for; a table of the properties every
// event gets from the resource; and what the transport and PostHog add.
// The text ends with a newline and holds neither marker.
func Markdown(events []catalog.Event, resource []catalog.Property) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("<!-- Generated from the catalog in catalog/events.go by `%s`. Do not edit by hand. -->\n\n", Generator)
	w("Elmo sends only the events below, with only the properties listed. Anything else a program\n")
	w("records (another span, another attribute, a value that looks like a path, a URL, an email or a\n")
	w("secret) is dropped before it leaves the process. `elmo telemetry events` prints the same list.\n\n")

	w("| event | kind | from | properties | what it is for |\n")
	w("|---|---|---|---|---|\n")
	for _, e := range events {
		var props []string
		for _, p := range e.Properties {
			props = append(props, markdownProperty("", p))
		}
		for _, p := range e.PersonProperties {
			props = append(props, markdownProperty("$set.", p))
		}
		cell := "none"
		if len(props) > 0 {
			cell = strings.Join(props, "<br>")
		}
		w("| `%s` | %s | %s | %s | %s |\n", e.DisplayName(), e.Kind, e.Source, cell, escape(e.Description))
	}

	w("\nKinds: a *span* event is one operation, sent when it ends; a *counter* event carries in `value`\n")
	w("how many times something happened since the last one; a *gauge* event carries a current number\n")
	w("in `value`; a *direct* event is sent by Elmo code on an explicit action. Span events also carry\n")
	w("`duration_ms` and `success`.\n\n")

	w("Every event also carries these properties, taken from the program's OpenTelemetry resource:\n\n")
	w("| sent as | resource attribute | what it is | values |\n")
	w("|---|---|---|---|\n")
	for _, p := range resource {
		name, ok := p.SentAs, p.SentAs != ""
		cell := "not sent to PostHog (shown only by a local debugging exporter)"
		if ok {
			cell = "`" + name + "`"
		}
		w("| %s | `%s` | %s | %s |\n", cell, p.Key, escape(p.Description), escape(ValueRule(p)))
	}
	w("\nNo string is sent as typed: each is one of the values listed, or passes its rule.\n")
	w("\nThe install ID and the deployment ID are random UUIDs, never derived from the machine, an\n")
	w("email, a username or any configuration value; `distinct_id` is the one the program has.\n\n")

	libs := make([]string, len(LibraryProperties))
	for i, l := range LibraryProperties {
		libs[i] = "`" + l + "`"
	}
	w("Every event names the library that delivers it with %s: `elmo-telemetry` and the\n", joinAnd(libs))
	w("version of this module (with PostHog's v1 capture API, in a request header instead). The operating\n")
	w("system and Go version that PostHog's Go client would also add are never sent: `os` and\n")
	w("`runtime_version` say as much.\n")
	w("PostHog records the IP address each request comes from and uses it for approximate location.\n")
	return b.String()
}

// markdownProperty renders one property for a table cell, such as
// "`postgres_mode` (string: `embedded`, `external`): Where ...".
func markdownProperty(prefix string, p catalog.Property) string {
	typ := p.Type.String()
	if rule := ValueRule(p); rule != "" {
		typ += ": " + rule
	}
	return fmt.Sprintf("`%s%s` (%s): %s", prefix, p.Key, typ, escape(p.Description))
}

// ValueRule describes what values of p are sent: its enumerated values
// and fallback, or its rule; "" for a property that is not a string.
func ValueRule(p catalog.Property) string {
	switch {
	case len(p.Values) > 0:
		vals := make([]string, 0, len(p.Values))
		for _, v := range p.Values {
			if v != p.Other {
				vals = append(vals, "`"+v+"`")
			}
		}
		out := strings.Join(vals, ", ")
		if p.Other != "" {
			out += "; anything else is sent as `" + p.Other + "`"
		}
		return out
	case p.Rule != catalog.RuleNone:
		return "rule " + p.Rule.String() + ": " + p.Rule.Description()
	}
	return ""
}

// escape makes s safe inside a Markdown table cell.
func escape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// ErrNoMarkers is wrapped by the errors of [Section] and [ReplaceSection]
// when a document lacks the markers or has them out of order.
var ErrNoMarkers = errors.New("catalogdoc: the catalog markers are missing")

// Section returns the text between [BeginMarker] and [EndMarker] in doc,
// without the newline that follows the begin marker. Each marker must
// appear exactly once, the begin marker first.
func Section(doc string) (string, error) {
	begin, end, err := markers(doc)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(doc[begin:end], "\n"), nil
}

// ReplaceSection returns doc with the text between the markers replaced
// by section, which should end with a newline.
func ReplaceSection(doc, section string) (string, error) {
	begin, end, err := markers(doc)
	if err != nil {
		return "", err
	}
	return doc[:begin] + "\n" + section + doc[end:], nil
}

// markers returns the offset just after the begin marker and the offset
// of the end marker.
func markers(doc string) (begin, end int, err error) {
	for _, m := range []string{BeginMarker, EndMarker} {
		if n := strings.Count(doc, m); n != 1 {
			return 0, 0, fmt.Errorf("%w: %q appears %d times, want exactly once", ErrNoMarkers, m, n)
		}
	}
	begin = strings.Index(doc, BeginMarker) + len(BeginMarker)
	end = strings.Index(doc, EndMarker)
	if end < begin {
		return 0, 0, fmt.Errorf("%w: %q comes before %q", ErrNoMarkers, EndMarker, BeginMarker)
	}
	return begin, end, nil
}
