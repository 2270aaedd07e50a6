package catalog_test

import (
	"strings"
	"testing"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/processors"
)

// TestEntries checks every entry of the catalog as the gate will
// (processors.NewPolicy), one subtest each, so that a mistake in
// catalog/events.go fails here, named after its entry, with what to
// change, rather than as a panic wherever the gate is first built.
func TestEntries(t *testing.T) {
	for _, e := range catalog.Events() {
		t.Run(e.DisplayName(), func(t *testing.T) {
			if _, err := processors.NewPolicy([]catalog.Event{e}); err != nil {
				t.Errorf("catalog/events.go, entry %s: change what each line says:\n%s", e.DisplayName(), lines(err))
			}
		})
	}
	if t.Failed() {
		return // the whole catalog would repeat what the entries said
	}
	// What only the whole catalog can show: a name defined twice,
	// overlapping prefixes, the resource attributes.
	t.Run("all entries and the resource", func(t *testing.T) {
		if _, err := processors.NewPolicy(catalog.Events(), processors.WithResourceAttributes(catalog.Resource()...)); err != nil {
			t.Errorf("catalog/events.go: change what each line says:\n%s", lines(err))
		}
	})
}

// lines puts each problem of a NewPolicy error on a line of its own.
func lines(err error) string {
	msg := strings.TrimPrefix(err.Error(), processors.ErrInvalidPolicy.Error()+": ")
	return "\t" + strings.ReplaceAll(msg, "\n", "\n\t")
}
