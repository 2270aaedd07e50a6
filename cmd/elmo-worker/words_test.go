package main

import "testing"

func TestCountProviders(t *testing.T) {
	for n, want := range map[int]string{0: "no providers", 1: "1 provider", 2: "2 providers", 13: "13 providers"} {
		t.Run(want, func(t *testing.T) {
			if got := countProviders(n); got != want {
				t.Errorf("countProviders(%d) = %q, want %q", n, got, want)
			}
		})
	}
}
