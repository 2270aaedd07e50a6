package posthogtest

import (
	"slices"
	"testing"
)

func TestNamedAndNames(t *testing.T) {
	evs := []Event{{Event: "a", UUID: "1"}, {Event: "b", UUID: "2"}, {Event: "a", UUID: "3"}}
	if got := Names(evs); !slices.Equal(got, []string{"a", "b", "a"}) {
		t.Errorf("Names = %v", got)
	}
	got := Named(evs, "a")
	if len(got) != 2 || got[0].UUID != "1" || got[1].UUID != "3" {
		t.Errorf("Named(a) = %+v", got)
	}
	if Named(evs, "c") != nil {
		t.Error("Named(c) found events")
	}
}
