package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Brand is a brand whose visibility in model answers is tracked.
type Brand struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Target is one provider and model a prompt runs on.
type Target struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
}

// Prompt is a question asked of providers on behalf of a brand.
type Prompt struct {
	ID      int64    `json:"id"`
	BrandID int64    `json:"brand_id"`
	Text    string   `json:"text"`
	Targets []Target `json:"targets"`
	// NextRunAt is when the prompt is next due. The runs of a round are
	// the ones made since it became due.
	NextRunAt time.Time `json:"next_run_at"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Response is the outcome of one run of a prompt on one target: the text
// of the answer, or the class of the error.
type Response struct {
	ID       int64  `json:"id"`
	PromptID int64  `json:"prompt_id"`
	Provider string `json:"provider"`
	Model    string `json:"model"`
	Text     string `json:"text,omitempty"`
	// ErrorType is empty for an answer, else the class of the failure.
	ErrorType string    `json:"error_type,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// OK reports whether the run returned an answer.
func (r Response) OK() bool { return r.ErrorType == "" }

func ms(t time.Time) int64       { return t.UnixMilli() }
func fromMS(v int64) time.Time   { return time.UnixMilli(v).UTC() }
func now() time.Time             { return time.Now().UTC().Truncate(time.Millisecond) }
func notFound(what string) error { return fmt.Errorf("%s: %w", what, ErrNotFound) }
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// CreateBrand adds a brand.
func (s *Store) CreateBrand(ctx context.Context, name string) (Brand, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Brand{}, errors.New("a brand needs a name")
	}
	b := Brand{Name: name, CreatedAt: now()}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO brands (name, created_at) VALUES ($1, $2) RETURNING id`,
		b.Name, ms(b.CreatedAt)).Scan(&b.ID)
	return b, wrap("creating a brand", err)
}

// Brand returns the brand with id.
func (s *Store) Brand(ctx context.Context, id int64) (Brand, error) {
	b := Brand{ID: id}
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT name, created_at FROM brands WHERE id = $1`, id).Scan(&b.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Brand{}, notFound(fmt.Sprintf("brand %d", id))
	}
	b.CreatedAt = fromMS(created)
	return b, wrap("reading a brand", err)
}

// Brands returns every brand, oldest first.
func (s *Store) Brands(ctx context.Context) ([]Brand, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, created_at FROM brands ORDER BY id`)
	if err != nil {
		return nil, wrap("listing brands", err)
	}
	defer rows.Close()
	var out []Brand
	for rows.Next() {
		var b Brand
		var created int64
		if err := rows.Scan(&b.ID, &b.Name, &created); err != nil {
			return nil, wrap("listing brands", err)
		}
		b.CreatedAt = fromMS(created)
		out = append(out, b)
	}
	return out, wrap("listing brands", rows.Err())
}

// validatePrompt checks what every prompt needs.
func validatePrompt(p Prompt) error {
	if strings.TrimSpace(p.Text) == "" {
		return errors.New("a prompt needs text")
	}
	if len(p.Targets) == 0 {
		return errors.New("a prompt needs at least one provider and model to run on")
	}
	for _, t := range p.Targets {
		if t.Provider == "" || t.Model == "" {
			return errors.New("each target of a prompt needs a provider and a model")
		}
	}
	return nil
}

func encodeTargets(ts []Target) (providers, models string) {
	ps := make([]string, len(ts))
	mods := make([]string, len(ts))
	for i, t := range ts {
		ps[i], mods[i] = t.Provider, t.Model
	}
	pb, _ := json.Marshal(ps)
	mb, _ := json.Marshal(mods)
	return string(pb), string(mb)
}

func decodeTargets(providers, models string) ([]Target, error) {
	var ps, mods []string
	if err := json.Unmarshal([]byte(providers), &ps); err != nil {
		return nil, fmt.Errorf("the providers of a prompt are malformed: %w", err)
	}
	if err := json.Unmarshal([]byte(models), &mods); err != nil {
		return nil, fmt.Errorf("the models of a prompt are malformed: %w", err)
	}
	if len(ps) != len(mods) {
		return nil, errors.New("a prompt has different numbers of providers and models")
	}
	ts := make([]Target, len(ps))
	for i := range ps {
		ts[i] = Target{Provider: ps[i], Model: mods[i]}
	}
	return ts, nil
}

// CreatePrompt adds a prompt for an existing brand. It is due at once.
func (s *Store) CreatePrompt(ctx context.Context, p Prompt) (Prompt, error) {
	if err := validatePrompt(p); err != nil {
		return Prompt{}, err
	}
	if _, err := s.Brand(ctx, p.BrandID); err != nil {
		return Prompt{}, err
	}
	t := now()
	p.CreatedAt, p.UpdatedAt, p.NextRunAt = t, t, t
	providers, models := encodeTargets(p.Targets)
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO prompts (brand_id, text, providers, models, next_run_at, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		p.BrandID, p.Text, providers, models, ms(t), ms(t), ms(t)).Scan(&p.ID)
	return p, wrap("creating a prompt", err)
}

// UpdatePrompt changes the text and targets of the prompt p.ID. The
// prompt is due again at once, since its answers no longer match it.
func (s *Store) UpdatePrompt(ctx context.Context, p Prompt) (Prompt, error) {
	if err := validatePrompt(p); err != nil {
		return Prompt{}, err
	}
	old, err := s.Prompt(ctx, p.ID)
	if err != nil {
		return Prompt{}, err
	}
	t := now()
	old.Text, old.Targets, old.UpdatedAt, old.NextRunAt = p.Text, p.Targets, t, t
	providers, models := encodeTargets(p.Targets)
	res, err := s.db.ExecContext(ctx,
		`UPDATE prompts SET text = $1, providers = $2, models = $3, next_run_at = $4, updated_at = $5 WHERE id = $6`,
		old.Text, providers, models, ms(t), ms(t), p.ID)
	if err != nil {
		return Prompt{}, wrap("updating a prompt", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Prompt{}, notFound(fmt.Sprintf("prompt %d", p.ID))
	}
	return old, nil
}

const promptColumns = `id, brand_id, text, providers, models, next_run_at, created_at, updated_at`

type scanner interface{ Scan(...any) error }

func scanPrompt(r scanner) (Prompt, error) {
	var (
		p                      Prompt
		providers, models      string
		next, created, updated int64
	)
	if err := r.Scan(&p.ID, &p.BrandID, &p.Text, &providers, &models, &next, &created, &updated); err != nil {
		return Prompt{}, err
	}
	ts, err := decodeTargets(providers, models)
	if err != nil {
		return Prompt{}, fmt.Errorf("prompt %d: %w", p.ID, err)
	}
	p.Targets = ts
	p.NextRunAt, p.CreatedAt, p.UpdatedAt = fromMS(next), fromMS(created), fromMS(updated)
	return p, nil
}

// Prompt returns the prompt with id.
func (s *Store) Prompt(ctx context.Context, id int64) (Prompt, error) {
	p, err := scanPrompt(s.db.QueryRowContext(ctx, `SELECT `+promptColumns+` FROM prompts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Prompt{}, notFound(fmt.Sprintf("prompt %d", id))
	}
	return p, wrap("reading a prompt", err)
}

func (s *Store) queryPrompts(ctx context.Context, what, query string, args ...any) ([]Prompt, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(what, err)
	}
	defer rows.Close()
	var out []Prompt
	for rows.Next() {
		p, err := scanPrompt(rows)
		if err != nil {
			return nil, wrap(what, err)
		}
		out = append(out, p)
	}
	return out, wrap(what, rows.Err())
}

// Prompts returns the prompts of the brand brandID, or of every brand
// when brandID is 0, oldest first.
func (s *Store) Prompts(ctx context.Context, brandID int64) ([]Prompt, error) {
	if brandID == 0 {
		return s.queryPrompts(ctx, "listing prompts", `SELECT `+promptColumns+` FROM prompts ORDER BY id`)
	}
	return s.queryPrompts(ctx, "listing prompts",
		`SELECT `+promptColumns+` FROM prompts WHERE brand_id = $1 ORDER BY id`, brandID)
}

// DuePrompts returns at most limit prompts due at t, the longest overdue
// first.
func (s *Store) DuePrompts(ctx context.Context, t time.Time, limit int) ([]Prompt, error) {
	return s.queryPrompts(ctx, "listing due prompts",
		`SELECT `+promptColumns+` FROM prompts WHERE next_run_at <= $1 ORDER BY next_run_at, id LIMIT $2`,
		ms(t), limit)
}

// PendingTargets returns the targets of p that have no answer yet in the
// current round, the one that began at p.NextRunAt: the runs still to do,
// including those that failed and are to be retried.
func (s *Store) PendingTargets(ctx context.Context, p Prompt) ([]Target, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT DISTINCT provider, model FROM responses WHERE prompt_id = $1 AND error_type = '' AND created_at >= $2`,
		p.ID, ms(p.NextRunAt))
	if err != nil {
		return nil, wrap("reading the answers of a prompt", err)
	}
	defer rows.Close()
	done := make(map[Target]bool)
	for rows.Next() {
		var t Target
		if err := rows.Scan(&t.Provider, &t.Model); err != nil {
			return nil, wrap("reading the answers of a prompt", err)
		}
		done[t] = true
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("reading the answers of a prompt", err)
	}
	var out []Target
	for _, t := range p.Targets {
		if !done[t] {
			out = append(out, t)
			done[t] = true // a target listed twice runs once
		}
	}
	return out, nil
}

// AddResponse records the outcome of one run. CreatedAt defaults to now.
func (s *Store) AddResponse(ctx context.Context, r Response) (Response, error) {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO responses (prompt_id, provider, model, text, error_type, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		r.PromptID, r.Provider, r.Model, r.Text, r.ErrorType, ms(r.CreatedAt)).Scan(&r.ID)
	return r, wrap("recording a response", err)
}

// Reschedule sets when the prompt id is next due, if it was not edited
// since the round that began at round: an edit makes it due at once and
// must not be undone by a round that ran on the old text.
func (s *Store) Reschedule(ctx context.Context, id int64, round, next time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE prompts SET next_run_at = $1 WHERE id = $2 AND next_run_at = $3`,
		ms(next), id, ms(round))
	return wrap("rescheduling a prompt", err)
}

// Responses returns the most recent responses to the prompt, at most
// limit, newest first.
func (s *Store) Responses(ctx context.Context, promptID int64, limit int) ([]Response, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, prompt_id, provider, model, text, error_type, created_at FROM responses
		 WHERE prompt_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, promptID, limit)
	if err != nil {
		return nil, wrap("listing responses", err)
	}
	defer rows.Close()
	var out []Response
	for rows.Next() {
		var r Response
		var created int64
		if err := rows.Scan(&r.ID, &r.PromptID, &r.Provider, &r.Model, &r.Text, &r.ErrorType, &created); err != nil {
			return nil, wrap("listing responses", err)
		}
		r.CreatedAt = fromMS(created)
		out = append(out, r)
	}
	return out, wrap("listing responses", rows.Err())
}

// Counts returns how many brands and prompts the deployment holds.
func (s *Store) Counts(ctx context.Context) (brands, prompts int64, err error) {
	err = s.db.QueryRowContext(ctx,
		`SELECT (SELECT COUNT(*) FROM brands), (SELECT COUNT(*) FROM prompts)`).Scan(&brands, &prompts)
	return brands, prompts, wrap("counting brands and prompts", err)
}
