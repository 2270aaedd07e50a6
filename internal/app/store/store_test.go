package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/internal/app/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// backends returns the stores under test: always SQLite, and PostgreSQL
// when DATABASE_URL_TEST names a server.
func backends(t *testing.T) map[string]func(t *testing.T) *store.Store {
	b := map[string]func(t *testing.T) *store.Store{
		"sqlite": func(t *testing.T) *store.Store { return open(t, store.WithDir(t.TempDir())) },
	}
	if u := os.Getenv("DATABASE_URL_TEST"); u != "" {
		b["postgres"] = func(t *testing.T) *store.Store {
			s := open(t, store.WithDatabaseURL(u))
			resetPostgres(t, s)
			return s
		}
	}
	return b
}

func open(t *testing.T, opts ...store.Option) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	s := open(t, store.WithDir(dir))
	if s.Mode() != store.ModeEmbedded {
		t.Errorf("Mode = %q, want embedded", s.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		t.Errorf("the database file was not created: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []store.Option
	}{
		{"no directory", nil},
		{"DATABASE_URL not postgres", []store.Option{store.WithDir(t.TempDir()), store.WithDatabaseURL("mysql://x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := store.Open(context.Background(), tt.opts...); err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded, want an error")
			}
		})
	}
}

func TestMigrationsAreAppliedOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// Processes that start together, like the web app and the worker,
	// race to migrate; every Open must succeed.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := store.Open(ctx, store.WithDir(dir))
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	s := open(t, store.WithDir(dir))
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != 2 {
		t.Errorf("Version = %d, want 2", v)
	}
	// Data survives reopening.
	if _, err := s.CreateBrand(ctx, "Acme"); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = open(t, store.WithDir(dir))
	if brands, _ := s.Brands(ctx); len(brands) != 1 {
		t.Errorf("after reopening, %d brands, want 1", len(brands))
	}
}

func TestCRUD(t *testing.T) {
	for name, newStore := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			b, err := s.CreateBrand(ctx, "  Acme  ")
			if err != nil {
				t.Fatal(err)
			}
			if b.Name != "Acme" || b.ID == 0 {
				t.Errorf("brand = %+v", b)
			}
			if _, err := s.CreateBrand(ctx, " "); err == nil {
				t.Error("CreateBrand with a blank name succeeded")
			}
			if _, err := s.Brand(ctx, 999); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Brand(999) error = %v, want ErrNotFound", err)
			}

			targets := []store.Target{{"openai", "gpt-4o-mini"}, {"anthropic", "claude-3.5-haiku"}}
			p, err := s.CreatePrompt(ctx, store.Prompt{BrandID: b.ID, Text: "best tools?", Targets: targets})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Prompt(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != "best tools?" || len(got.Targets) != 2 || got.Targets[1] != targets[1] || got.BrandID != b.ID {
				t.Errorf("prompt = %+v", got)
			}
			for _, bad := range []store.Prompt{
				{BrandID: b.ID, Targets: targets},
				{BrandID: b.ID, Text: "x"},
				{BrandID: b.ID, Text: "x", Targets: []store.Target{{Provider: "openai"}}},
			} {
				if _, err := s.CreatePrompt(ctx, bad); err == nil {
					t.Errorf("CreatePrompt(%+v) succeeded", bad)
				}
			}
			if _, err := s.CreatePrompt(ctx, store.Prompt{BrandID: 999, Text: "x", Targets: targets}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("CreatePrompt for a missing brand: %v, want ErrNotFound", err)
			}

			up, err := s.UpdatePrompt(ctx, store.Prompt{ID: p.ID, Text: "best tools in 2025?", Targets: targets[:1]})
			if err != nil {
				t.Fatal(err)
			}
			if up.Text != "best tools in 2025?" || len(up.Targets) != 1 || up.BrandID != b.ID {
				t.Errorf("updated prompt = %+v", up)
			}
			if _, err := s.UpdatePrompt(ctx, store.Prompt{ID: 999, Text: "x", Targets: targets}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UpdatePrompt(999): %v, want ErrNotFound", err)
			}
			if ps, _ := s.Prompts(ctx, b.ID); len(ps) != 1 {
				t.Errorf("Prompts(brand) = %d prompts, want 1", len(ps))
			}
			if ps, _ := s.Prompts(ctx, 0); len(ps) != 1 {
				t.Errorf("Prompts(0) = %d prompts, want 1", len(ps))
			}
			brands, prompts, err := s.Counts(ctx)
			if err != nil || brands != 1 || prompts != 1 {
				t.Errorf("Counts = %d, %d, %v; want 1, 1", brands, prompts, err)
			}
		})
	}
}

func TestRounds(t *testing.T) {
	for name, newStore := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			b, _ := s.CreateBrand(ctx, "Acme")
			targets := []store.Target{{"openai", "gpt-4o-mini"}, {"groq", "llama3"}}
			p, err := s.CreatePrompt(ctx, store.Prompt{BrandID: b.ID, Text: "q", Targets: targets})
			if err != nil {
				t.Fatal(err)
			}
			due, err := s.DuePrompts(ctx, time.Now().Add(time.Second), 10)
			if err != nil || len(due) != 1 || due[0].ID != p.ID {
				t.Fatalf("DuePrompts = %v, %v; want the new prompt", due, err)
			}
			if due, _ := s.DuePrompts(ctx, p.NextRunAt.Add(-time.Hour), 10); len(due) != 0 {
				t.Errorf("a prompt is due before its time: %v", due)
			}

			// One target answers, the other fails: only the failed one is
			// pending.
			if _, err := s.AddResponse(ctx, store.Response{PromptID: p.ID, Provider: "openai", Model: "gpt-4o-mini", Text: "Acme is great"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddResponse(ctx, store.Response{PromptID: p.ID, Provider: "groq", Model: "llama3", ErrorType: "server_error"}); err != nil {
				t.Fatal(err)
			}
			pending, err := s.PendingTargets(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(pending) != 1 || pending[0] != targets[1] {
				t.Errorf("PendingTargets = %v, want [groq llama3]", pending)
			}

			rep, err := s.Report(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Answers != 1 || rep.Mentions != 1 || len(rep.Prompts) != 1 || rep.Prompts[0].Targets[1].Failures != 1 {
				t.Errorf("Report = %+v", rep)
			}

			// Rescheduling applies to the round it belongs to only.
			next := time.Now().Add(time.Hour)
			if err := s.Reschedule(ctx, p.ID, p.NextRunAt, next); err != nil {
				t.Fatal(err)
			}
			got, _ := s.Prompt(ctx, p.ID)
			if got.NextRunAt.UnixMilli() != next.UnixMilli() {
				t.Errorf("NextRunAt = %v, want %v", got.NextRunAt, next)
			}
			if err := s.Reschedule(ctx, p.ID, p.NextRunAt, next.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if again, _ := s.Prompt(ctx, p.ID); !again.NextRunAt.Equal(got.NextRunAt) {
				t.Errorf("a stale round rescheduled the prompt to %v", again.NextRunAt)
			}

			rs, err := s.Responses(ctx, p.ID, 10)
			if err != nil || len(rs) != 2 {
				t.Errorf("Responses = %v, %v", rs, err)
			}
		})
	}
}
