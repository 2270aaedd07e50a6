package store_test

import (
	"context"
	"fmt"
	"os"

	"github.com/elmohq/telemetry/internal/app/store"
)

func Example() {
	dir, _ := os.MkdirTemp("", "elmo")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := store.Open(ctx, store.WithDir(dir), store.WithDatabaseURL(os.Getenv("NOT_SET")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	b, _ := s.CreateBrand(ctx, "Acme")
	p, _ := s.CreatePrompt(ctx, store.Prompt{
		BrandID: b.ID,
		Text:    "Which anvil maker is the best?",
		Targets: []store.Target{{Provider: "openai", Model: "gpt-4o-mini"}},
	})
	_, _ = s.AddResponse(ctx, store.Response{PromptID: p.ID, Provider: "openai", Model: "gpt-4o-mini", Text: "Acme, by far."})
	rep, _ := s.Report(ctx, b.ID)
	fmt.Println(s.Mode(), rep.Answers, rep.Mentions)
	// Output: embedded 1 1
}
