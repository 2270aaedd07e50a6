package store

import (
	"context"
	"strings"
)

// TargetReport summarizes the runs of one prompt on one target.
type TargetReport struct {
	Target
	// Runs, Answers and Failures count the runs, those that returned an
	// answer and those that failed.
	Runs     int `json:"runs"`
	Answers  int `json:"answers"`
	Failures int `json:"failures"`
	// Mentions counts the answers that name the brand.
	Mentions int `json:"mentions"`
}

// PromptReport summarizes the runs of one prompt.
type PromptReport struct {
	PromptID int64          `json:"prompt_id"`
	Text     string         `json:"text"`
	Targets  []TargetReport `json:"targets"`
}

// Report summarizes, for one brand, how often model answers to its
// prompts mention it.
type Report struct {
	Brand   Brand          `json:"brand"`
	Prompts []PromptReport `json:"prompts"`
	// Answers and Mentions total the answers and those naming the brand.
	Answers  int `json:"answers"`
	Mentions int `json:"mentions"`
}

// Report builds the report of the brand brandID over every stored
// response.
func (s *Store) Report(ctx context.Context, brandID int64) (Report, error) {
	b, err := s.Brand(ctx, brandID)
	if err != nil {
		return Report{}, err
	}
	prompts, err := s.Prompts(ctx, brandID)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Brand: b}
	name := strings.ToLower(b.Name)
	for _, p := range prompts {
		pr := PromptReport{PromptID: p.ID, Text: p.Text}
		seen := make(map[Target]bool)
		for _, t := range p.Targets {
			if !seen[t] {
				seen[t] = true
				pr.Targets = append(pr.Targets, TargetReport{Target: t})
			}
		}
		byTarget := make(map[Target]*TargetReport, len(pr.Targets))
		for i := range pr.Targets {
			byTarget[pr.Targets[i].Target] = &pr.Targets[i]
		}
		err := s.eachResponse(ctx, p.ID, func(r Response) {
			tr := byTarget[Target{Provider: r.Provider, Model: r.Model}]
			if tr == nil {
				return // a target the prompt no longer runs on
			}
			tr.Runs++
			if !r.OK() {
				tr.Failures++
				return
			}
			tr.Answers++
			rep.Answers++
			if strings.Contains(strings.ToLower(r.Text), name) {
				tr.Mentions++
				rep.Mentions++
			}
		})
		if err != nil {
			return Report{}, err
		}
		rep.Prompts = append(rep.Prompts, pr)
	}
	return rep, nil
}

// eachResponse calls f with every response to the prompt.
func (s *Store) eachResponse(ctx context.Context, promptID int64, f func(Response)) error {
	rows, err := s.db.QueryContext(ctx,
		`SELECT provider, model, text, error_type FROM responses WHERE prompt_id = $1`, promptID)
	if err != nil {
		return wrap("reading responses for a report", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := Response{PromptID: promptID}
		if err := rows.Scan(&r.Provider, &r.Model, &r.Text, &r.ErrorType); err != nil {
			return wrap("reading responses for a report", err)
		}
		f(r)
	}
	return wrap("reading responses for a report", rows.Err())
}
