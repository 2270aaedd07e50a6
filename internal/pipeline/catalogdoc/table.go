package catalogdoc

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/elmohq/telemetry/catalog"
)

// Entry is one event of the catalog as `elmo telemetry events --json`
// prints it. Its field names are stable for scripts.
type Entry struct {
	// Name is the event name as documentation shows it, such as
	// "cli_<command>" for a prefix entry.
	Name string `json:"name"`
	// Kind is "span", "counter", "gauge" or "direct".
	Kind string `json:"kind"`
	// Source is the program that sends the event: "cli", "web" or
	// "worker".
	Source string `json:"source"`
	// Description says what the event is for.
	Description string `json:"description"`
	// Properties are the properties the event may carry besides the
	// common ones.
	Properties []PropertyEntry `json:"properties"`
	// PersonProperties are what a direct event sets on the person ($set).
	PersonProperties []PropertyEntry `json:"personProperties,omitempty"`
}

// PropertyEntry is one property of an [Entry].
type PropertyEntry struct {
	// Key is the property name.
	Key string `json:"key"`
	// Type is the value type, such as "string" or "string[]".
	Type string `json:"type"`
	// Description says what the property is for.
	Description string `json:"description"`
	// Values, when not empty, are the only values allowed.
	Values []string `json:"values,omitempty"`
	// Other, when not empty, is the value sent in place of one that is
	// not in Values.
	Other string `json:"other,omitempty"`
	// Rule, when not empty, names the rule that decides what a value is
	// sent as, such as "model-name".
	Rule string `json:"rule,omitempty"`
	// RuleDescription says what the rule sends.
	RuleDescription string `json:"ruleDescription,omitempty"`
}

// Entries converts catalog events to their documented form, in order.
func Entries(events []catalog.Event) []Entry {
	entries := make([]Entry, 0, len(events))
	for _, e := range events {
		ce := Entry{
			Name:        e.DisplayName(),
			Kind:        e.Kind.String(),
			Source:      string(e.Source),
			Description: e.Description,
			Properties:  propertyEntries(e.Properties),
		}
		if len(e.PersonProperties) > 0 {
			ce.PersonProperties = propertyEntries(e.PersonProperties)
		}
		entries = append(entries, ce)
	}
	return entries
}

func propertyEntries(ps []catalog.Property) []PropertyEntry {
	out := make([]PropertyEntry, 0, len(ps))
	for _, p := range ps {
		e := PropertyEntry{
			Key:         string(p.Key),
			Type:        p.Type.String(),
			Description: p.Description,
			Values:      append([]string(nil), p.Values...),
			Other:       p.Other,
		}
		if p.Rule != catalog.RuleNone {
			e.Rule, e.RuleDescription = p.Rule.String(), p.Rule.Description()
		}
		out = append(out, e)
	}
	return out
}

// WriteJSON writes the entries of events to w as an indented JSON array,
// the output of `elmo telemetry events --json`.
func WriteJSON(w io.Writer, events []catalog.Event) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Entries(events)); err != nil {
		return fmt.Errorf("catalogdoc: writing the catalog as JSON: %w", err)
	}
	return nil
}

// WriteTable writes events to w as the aligned text table of `elmo
// telemetry events`: one row per event, then one row per property with
// its type, its description and its allowed values, then a note on the
// properties every event carries.
func WriteTable(w io.Writer, events []catalog.Event) error {
	entries := Entries(events)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT\tKIND\tSOURCE\tPROPERTIES\tWHAT IT IS FOR")
	for _, e := range entries {
		keys := make([]string, 0, len(e.Properties)+len(e.PersonProperties))
		for _, p := range e.Properties {
			keys = append(keys, p.Key)
		}
		for _, p := range e.PersonProperties {
			keys = append(keys, "$set."+p.Key)
		}
		list := strings.Join(keys, ", ")
		if list == "" {
			list = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Name, e.Kind, e.Source, list, e.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nProperties:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, e := range entries {
		for _, p := range e.Properties {
			writeProperty(tw, e.Name+"."+p.Key, p)
		}
		for _, p := range e.PersonProperties {
			writeProperty(tw, e.Name+".$set."+p.Key, p)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, `
Every event also carries the program, its version, the OS and architecture,
the runtime version and the deployment mode. CLI events are keyed by the
random install ID, deployment events by the random deployment ID.`)
	return err
}

func writeProperty(tw io.Writer, name string, p PropertyEntry) {
	fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, p.Type, p.Description)
	if len(p.Values) > 0 {
		fmt.Fprintf(tw, "  \t\tone of: %s\n", strings.Join(p.Values, ", "))
	}
	if p.Other != "" {
		fmt.Fprintf(tw, "  \t\tanything else is sent as %s\n", p.Other)
	}
	if p.Rule != "" {
		fmt.Fprintf(tw, "  \t\trule %s: %s\n", p.Rule, p.RuleDescription)
	}
}
