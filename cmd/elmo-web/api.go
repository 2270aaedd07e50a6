package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/store"
)

// maxBody bounds the size of a request body.
const maxBody = 1 << 20

// app holds what the handlers share.
type app struct {
	store *store.Store
	inst  *instruments
	log   *slog.Logger
}

// routes returns the web app's handler. Unsafe cross-origin requests from
// browsers are refused, so that another site cannot drive the local app.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)

	mux.HandleFunc("GET /api/brands", a.listBrands)
	mux.HandleFunc("POST /api/brands", a.createBrand)
	mux.HandleFunc("GET /api/prompts", a.listPrompts)
	mux.HandleFunc("POST /api/prompts", a.createPrompt)
	mux.HandleFunc("GET /api/prompts/{id}", a.getPrompt)
	mux.HandleFunc("PUT /api/prompts/{id}", a.updatePrompt)
	mux.HandleFunc("GET /api/prompts/{id}/responses", a.listResponses)
	mux.HandleFunc("POST /api/reports", a.runReport)

	mux.HandleFunc("GET /{$}", a.pageHome)
	mux.HandleFunc("POST /brands", a.formCreateBrand)
	mux.HandleFunc("GET /brands/{id}", a.pageBrand)
	mux.HandleFunc("POST /brands/{id}/prompts", a.formCreatePrompt)
	mux.HandleFunc("GET /prompts/{id}/edit", a.pageEditPrompt)
	mux.HandleFunc("POST /prompts/{id}", a.formUpdatePrompt)
	mux.HandleFunc("GET /brands/{id}/report", a.pageReport)

	return http.NewCrossOriginProtection().Handler(mux)
}

func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	if err := a.store.Ping(r.Context()); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *app) listBrands(w http.ResponseWriter, r *http.Request) {
	brands, err := a.store.Brands(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(brands))
}

func (a *app) createBrand(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	b, err := a.newBrand(r, in.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, b)
}

// newBrand creates a brand and counts it.
func (a *app) newBrand(r *http.Request, name string) (store.Brand, error) {
	if strings.TrimSpace(name) == "" {
		return store.Brand{}, badRequest("a brand needs a name")
	}
	b, err := a.store.CreateBrand(r.Context(), name)
	if err != nil {
		return store.Brand{}, err
	}
	a.inst.brandsCreated.Add(r.Context(), 1)
	return b, nil
}

func (a *app) listPrompts(w http.ResponseWriter, r *http.Request) {
	var brandID int64
	if v := r.URL.Query().Get("brand_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			a.fail(w, r, badRequest("brand_id must be a positive integer"))
			return
		}
		brandID = id
	}
	ps, err := a.store.Prompts(r.Context(), brandID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(ps))
}

// promptInput is the body of POST and PUT /api/prompts.
type promptInput struct {
	BrandID int64          `json:"brand_id"`
	Text    string         `json:"text"`
	Targets []store.Target `json:"targets"`
}

// validate checks the fields a prompt needs; providers must be on the
// fixed list.
func (in promptInput) validate() error {
	if strings.TrimSpace(in.Text) == "" {
		return badRequest("a prompt needs text")
	}
	if len(in.Targets) == 0 {
		return badRequest("a prompt needs at least one target: a provider and a model")
	}
	for _, t := range in.Targets {
		if !slices.Contains(catalog.Providers(), t.Provider) {
			return badRequest(fmt.Sprintf("unknown provider %q: use one of %s", t.Provider, strings.Join(catalog.Providers(), ", ")))
		}
		if strings.TrimSpace(t.Model) == "" {
			return badRequest("each target needs a model")
		}
	}
	return nil
}

func (a *app) createPrompt(w http.ResponseWriter, r *http.Request) {
	var in promptInput
	if !readJSON(w, r, &in) {
		return
	}
	p, err := a.newPrompt(r, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// newPrompt creates a prompt. It is not counted in prompts_edited: a new
// prompt raises the prompts_tracked gauge.
func (a *app) newPrompt(r *http.Request, in promptInput) (store.Prompt, error) {
	if err := in.validate(); err != nil {
		return store.Prompt{}, err
	}
	return a.store.CreatePrompt(r.Context(), store.Prompt{BrandID: in.BrandID, Text: in.Text, Targets: in.Targets})
}

func (a *app) getPrompt(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r)
	if !ok {
		return
	}
	p, err := a.store.Prompt(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (a *app) updatePrompt(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r)
	if !ok {
		return
	}
	var in promptInput
	if !readJSON(w, r, &in) {
		return
	}
	p, err := a.editPrompt(r, id, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// editPrompt changes an existing prompt and counts it in prompts_edited.
func (a *app) editPrompt(r *http.Request, id int64, in promptInput) (store.Prompt, error) {
	if err := in.validate(); err != nil {
		return store.Prompt{}, err
	}
	p, err := a.store.UpdatePrompt(r.Context(), store.Prompt{ID: id, Text: in.Text, Targets: in.Targets})
	if err != nil {
		return store.Prompt{}, err
	}
	a.inst.promptsEdited.Add(r.Context(), 1)
	return p, nil
}

func (a *app) listResponses(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r)
	if !ok {
		return
	}
	if _, err := a.store.Prompt(r.Context(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	rs, err := a.store.Responses(r.Context(), id, 100)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(rs))
}

func (a *app) runReport(w http.ResponseWriter, r *http.Request) {
	var in struct {
		BrandID int64 `json:"brand_id"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	rep, err := a.report(r, in.BrandID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// report runs a report and counts it.
func (a *app) report(r *http.Request, brandID int64) (store.Report, error) {
	rep, err := a.store.Report(r.Context(), brandID)
	if err != nil {
		return store.Report{}, err
	}
	a.inst.reportsRun.Add(r.Context(), 1)
	return rep, nil
}

// badRequestError is an error in what the client sent.
type badRequestError struct{ msg string }

func (e *badRequestError) Error() string { return e.msg }

func badRequest(msg string) error { return &badRequestError{msg} }

// status returns the HTTP status for err.
func status(err error) int {
	var br *badRequestError
	switch {
	case errors.As(err, &br):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}

// fail answers with err as JSON: its message for a client error, a
// generic one for a server error, which is logged.
func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := status(err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		msg = "internal error; see the elmo-web log"
	}
	writeJSON(w, code, map[string]string{"error": msg})
}

// pathID parses the {id} path value, answering 400 when it cannot.
func (a *app) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := parseID(r)
	if err != nil {
		a.fail(w, r, err)
		return 0, false
	}
	return id, true
}

// readJSON decodes the request body into v, answering 400 when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body is not the expected JSON: " + err.Error()})
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body holds more than one JSON value"})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
