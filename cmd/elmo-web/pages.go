package main

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/store"
)

// pages holds the server-rendered pages, each a "layout" with its own
// "content".
var pages = func() map[string]*template.Template {
	const layout = `{{define "layout"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Elmo</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left}
.error{color:#a00}textarea{width:100%}</style></head>
<body><h1><a href="/">Elmo</a></h1>{{with .Error}}<p class="error">{{.}}</p>{{end}}{{template "content" .}}</body></html>{{end}}`
	contents := map[string]string{
		"home": `{{define "content"}}<h2>Brands</h2>
<ul>{{range .Brands}}<li><a href="/brands/{{.ID}}">{{.Name}}</a></li>{{else}}<li>No brands yet.</li>{{end}}</ul>
<form method="post" action="/brands"><label>New brand <input name="name" required></label> <button>Create</button></form>{{end}}`,
		"brand": `{{define "content"}}<h2>{{.Brand.Name}}</h2>
<p><a href="/brands/{{.Brand.ID}}/report">Run a report</a></p>
<h3>Prompts</h3>
<table><tr><th>Prompt</th><th>Runs on</th><th></th></tr>
{{range .Prompts}}<tr><td>{{.Text}}</td><td>{{range .Targets}}{{.Provider}} {{.Model}}<br>{{end}}</td><td><a href="/prompts/{{.ID}}/edit">Edit</a></td></tr>
{{else}}<tr><td colspan="3">No prompts yet.</td></tr>{{end}}</table>
<h3>Add a prompt</h3>
<form method="post" action="/brands/{{.Brand.ID}}/prompts">{{template "promptFields" .Form}}<button>Add</button></form>{{end}}`,
		"edit": `{{define "content"}}<h2>Edit prompt</h2>
<form method="post" action="/prompts/{{.Prompt.ID}}">{{template "promptFields" .Form}}<button>Save</button></form>
<p><a href="/brands/{{.Prompt.BrandID}}">Back</a></p>{{end}}`,
		"report": `{{define "content"}}<h2>Report: {{.Report.Brand.Name}}</h2>
<p>{{.Report.Mentions}} of {{.Report.Answers}} answers mention {{.Report.Brand.Name}}.</p>
{{range .Report.Prompts}}<h3>{{.Text}}</h3>
<table><tr><th>Provider</th><th>Model</th><th>Runs</th><th>Answers</th><th>Failures</th><th>Mentions</th></tr>
{{range .Targets}}<tr><td>{{.Provider}}</td><td>{{.Model}}</td><td>{{.Runs}}</td><td>{{.Answers}}</td><td>{{.Failures}}</td><td>{{.Mentions}}</td></tr>{{end}}</table>
{{else}}<p>No prompts yet.</p>{{end}}
<p><a href="/brands/{{.Report.Brand.ID}}">Back</a></p>{{end}}`,
	}
	const fields = `{{define "promptFields"}}<p><label>Prompt<br><textarea name="text" rows="3" required>{{.Text}}</textarea></label></p>
<p><label>Run on, one per line as "provider model" (providers: {{.Providers}})<br>
<textarea name="targets" rows="3" required>{{.Targets}}</textarea></label></p>{{end}}`
	out := make(map[string]*template.Template, len(contents))
	for name, c := range contents {
		out[name] = template.Must(template.Must(template.New(name).Parse(layout)).Parse(fields + c))
	}
	return out
}()

// promptForm is what the prompt fields show.
type promptForm struct {
	Text, Targets, Providers string
}

func newPromptForm(text string, targets []store.Target) promptForm {
	var lines []string
	for _, t := range targets {
		lines = append(lines, t.Provider+" "+t.Model)
	}
	return promptForm{Text: text, Targets: strings.Join(lines, "\n"), Providers: strings.Join(catalog.Providers(), ", ")}
}

// parseTargets reads "provider model" lines.
func parseTargets(s string) ([]store.Target, error) {
	var ts []store.Target
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		switch len(f) {
		case 0:
			continue
		case 2:
			ts = append(ts, store.Target{Provider: f[0], Model: f[1]})
		default:
			return nil, badRequest(fmt.Sprintf("%q is not a line of the form \"provider model\"", strings.TrimSpace(line)))
		}
	}
	return ts, nil
}

// render writes the page name with data, or a plain error.
func (a *app) render(w http.ResponseWriter, r *http.Request, code int, name string, data map[string]any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		a.log.Error("rendering a page", "page", name, "error", err)
		http.Error(w, "internal error; see the elmo-web log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

// failPage answers with a plain-text error.
func (a *app) failPage(w http.ResponseWriter, r *http.Request, err error) {
	code := status(err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		msg = "internal error; see the elmo-web log"
	}
	http.Error(w, msg, code)
}

func (a *app) pageHome(w http.ResponseWriter, r *http.Request) {
	a.homeWith(w, r, http.StatusOK, "")
}

func (a *app) homeWith(w http.ResponseWriter, r *http.Request, code int, errMsg string) {
	brands, err := a.store.Brands(r.Context())
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	a.render(w, r, code, "home", map[string]any{"Brands": brands, "Error": errMsg})
}

func (a *app) formCreateBrand(w http.ResponseWriter, r *http.Request) {
	b, err := a.newBrand(r, r.PostFormValue("name"))
	if err != nil {
		if status(err) == http.StatusBadRequest {
			a.homeWith(w, r, http.StatusBadRequest, err.Error())
			return
		}
		a.failPage(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/brands/%d", b.ID), http.StatusSeeOther)
}

func (a *app) pageBrand(w http.ResponseWriter, r *http.Request) {
	a.brandWith(w, r, http.StatusOK, "", newPromptForm("", nil))
}

func (a *app) brandWith(w http.ResponseWriter, r *http.Request, code int, errMsg string, form promptForm) {
	id, err := parseID(r)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	b, err := a.store.Brand(r.Context(), id)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	ps, err := a.store.Prompts(r.Context(), id)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	a.render(w, r, code, "brand", map[string]any{"Brand": b, "Prompts": ps, "Form": form, "Error": errMsg})
}

func (a *app) formCreatePrompt(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	text := r.PostFormValue("text")
	targets, err := parseTargets(r.PostFormValue("targets"))
	if err == nil {
		_, err = a.newPrompt(r, promptInput{BrandID: id, Text: text, Targets: targets})
	}
	if err != nil {
		if status(err) == http.StatusBadRequest {
			form := newPromptForm(text, nil)
			form.Targets = r.PostFormValue("targets")
			a.brandWith(w, r, http.StatusBadRequest, err.Error(), form)
			return
		}
		a.failPage(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/brands/%d", id), http.StatusSeeOther)
}

func (a *app) pageEditPrompt(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	p, err := a.store.Prompt(r.Context(), id)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "edit", map[string]any{"Prompt": p, "Form": newPromptForm(p.Text, p.Targets)})
}

func (a *app) formUpdatePrompt(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	text := r.PostFormValue("text")
	targets, err := parseTargets(r.PostFormValue("targets"))
	var p store.Prompt
	if err == nil {
		p, err = a.editPrompt(r, id, promptInput{Text: text, Targets: targets})
	}
	if err != nil {
		if status(err) == http.StatusBadRequest {
			old, oerr := a.store.Prompt(r.Context(), id)
			if oerr != nil {
				a.failPage(w, r, oerr)
				return
			}
			form := newPromptForm(text, nil)
			form.Targets = r.PostFormValue("targets")
			a.render(w, r, http.StatusBadRequest, "edit", map[string]any{"Prompt": old, "Form": form, "Error": err.Error()})
			return
		}
		a.failPage(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/brands/%d", p.BrandID), http.StatusSeeOther)
}

func (a *app) pageReport(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	rep, err := a.report(r, id)
	if err != nil {
		a.failPage(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "report", map[string]any{"Report": rep})
}

// parseID parses the {id} path value.
func parseID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest("the id in the path must be a positive integer")
	}
	return id, nil
}
