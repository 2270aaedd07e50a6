package main

import (
	"errors"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/app/provider"
	"github.com/elmohq/telemetry/internal/app/store"
)

func TestBackoff(t *testing.T) {
	rateLimited := func(after time.Duration) error {
		return &provider.Error{Provider: "openai", Type: provider.TypeRateLimited, StatusCode: 429, RetryAfter: after}
	}
	serverError := &provider.Error{Provider: "openai", Type: provider.TypeServerError, StatusCode: 503}
	badKey := &provider.Error{Provider: "openai", Type: provider.TypeAuth, StatusCode: 401}
	a := store.Target{Provider: "openai", Model: "gpt-4o"}
	other := store.Target{Provider: "openai", Model: "gpt-4o-mini"}

	for _, tc := range []struct {
		name  string
		errs  []error       // outcomes of calls to a, in order
		wants time.Duration // the wait after the last
	}{
		{"first 5xx waits the base", []error{serverError}, time.Minute},
		{"each failure in a row doubles", []error{serverError, serverError, serverError}, 4 * time.Minute},
		{"doubling stops at the cap", []error{serverError, serverError, serverError, serverError, serverError, serverError, serverError, serverError}, maxBackoff},
		{"a longer Retry-After wins", []error{rateLimited(10 * time.Minute)}, 10 * time.Minute},
		{"a shorter Retry-After does not", []error{rateLimited(time.Second)}, time.Minute},
		{"Retry-After beyond the cap is honoured", []error{rateLimited(3 * time.Hour)}, 3 * time.Hour},
		{"a success ends it", []error{serverError, serverError, nil}, 0},
		{"a bad key is not slowed down", []error{badKey}, 0},
		{"an error of another kind is not either", []error{errors.New("boom")}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
			b := newBackoff(time.Minute)
			b.now = func() time.Time { return now }
			var wait time.Duration
			for _, err := range tc.errs {
				wait = b.observe(a, err)
			}
			if wait != tc.wants {
				t.Fatalf("wait = %v, want %v", wait, tc.wants)
			}
			run, waiting := b.ready([]store.Target{a, other})
			if wantWaiting := map[bool]int{true: 1, false: 0}[wait > 0]; waiting != wantWaiting || len(run) != 2-wantWaiting {
				t.Errorf("ready: %v run, %d waiting; want %d waiting, the other model never", run, waiting, wantWaiting)
			}
			now = now.Add(wait)
			if run, waiting := b.ready([]store.Target{a}); waiting != 0 || len(run) != 1 {
				t.Errorf("after the wait: %v run, %d waiting; want a to run", run, waiting)
			}
		})
	}
}
