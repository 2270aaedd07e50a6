package deploytest

import (
	"bytes"
	"fmt"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// Sum returns the total of the value property of the events called name
// whose properties include every one of match.
func Sum(events []posthogtest.Event, name string, match map[string]any) float64 {
	var total float64
	for _, e := range posthogtest.Named(events, name) {
		if !matches(e.Properties, match) {
			continue
		}
		if v, ok := e.Properties[catalog.PropValue].(float64); ok {
			total += v
		}
	}
	return total
}

func matches(props, match map[string]any) bool {
	for k, want := range match {
		if fmt.Sprint(props[k]) != fmt.Sprint(want) {
			return false
		}
	}
	return true
}

// Leaks returns, for each canary found, a description of the request
// body that carries it. Bodies are searched after decompression.
func Leaks(reqs []posthogtest.Request, canaries ...string) []string {
	var out []string
	for i, r := range reqs {
		for _, c := range canaries {
			if c != "" && (bytes.Contains(r.Body, []byte(c)) || bytes.Contains([]byte(r.Query), []byte(c))) {
				out = append(out, fmt.Sprintf("request %d (%s %s) carries %q", i, r.Method, r.Path, c))
			}
		}
	}
	return out
}
