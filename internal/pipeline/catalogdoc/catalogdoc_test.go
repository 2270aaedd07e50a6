package catalogdoc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/pipeline/catalogdoc"
)

// TestDocumentsMatchCatalog fails when the "What is collected" section of
// the telemetry page is not what the catalog generates, so that it never
// promises something the filter does not do.
func TestDocumentsMatchCatalog(t *testing.T) {
	for _, doc := range catalogdoc.Documents {
		t.Run(doc, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "..", filepath.FromSlash(doc)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := catalogdoc.Section(string(data))
			if err != nil {
				t.Fatalf("%s: %v; add a \"What is collected\" heading followed by the lines\n%s\n%s\nand run %s",
					doc, err, catalogdoc.BeginMarker, catalogdoc.EndMarker, catalogdoc.Generator)
			}
			want := catalogdoc.Markdown(catalog.Events(), catalog.Resource())
			if got != want {
				t.Errorf("the catalog section of %s is out of date. Run\n\n\t%s\n\nfrom the module root. The section should read:\n\n%s",
					doc, catalogdoc.Generator, want)
			}
		})
	}
}

// TestDocumentsAreTheFilesWithMarkers fails when a Markdown file of the
// repository holds the catalog markers but is not in Documents, so that
// gencatalog would leave it to go stale, or when Documents names a file
// that is gone.
func TestDocumentsAreTheFilesWithMarkers(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Ext(path) != ".md" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), catalogdoc.BeginMarker) {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			found = append(found, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(found, catalogdoc.Documents) {
		t.Errorf("the Markdown files with the catalog markers are %q, but Documents lists %q: make them agree", found, catalogdoc.Documents)
	}
}

// testEvents is a small catalog with every shape the renderers handle.
func testEvents() []catalog.Event {
	return []catalog.Event{
		{Name: "cli_", Prefix: true, Kind: catalog.KindSpan, Source: catalog.SourceCLI,
			Description: "One command run.",
			Properties:  []catalog.Property{{Key: "exit_code", Type: catalog.TypeInt, Description: "Exit code."}}},
		{Name: "signup", Kind: catalog.KindDirect, Source: catalog.SourceCLI,
			Description: "A signup | with a pipe.",
			Properties: []catalog.Property{{Key: "source", Type: catalog.TypeString,
				Values: []string{"cli_init", "web"}, Description: "Where it came from."}},
			PersonProperties: []catalog.Property{{Key: "email", Type: catalog.TypeString, Description: "The email."}}},
		{Name: "brands", Kind: catalog.KindGauge, Source: catalog.SourceWeb, Description: "Number of brands."},
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := catalogdoc.WriteTable(&buf, testEvents()); err != nil {
		t.Fatal(err)
	}
	want := `EVENT          KIND    SOURCE  PROPERTIES          WHAT IT IS FOR
cli_<command>  span    cli     exit_code           One command run.
signup         direct  cli     source, $set.email  A signup | with a pipe.
brands         gauge   web     -                   Number of brands.

Properties:
  cli_<command>.exit_code  int     Exit code.
  signup.source            string  Where it came from.
                                   one of: cli_init, web
  signup.$set.email        string  The email.

Every event also carries the program, its version, the OS and architecture,
the runtime version and the deployment mode. CLI events are keyed by the
random install ID, deployment events by the random deployment ID.
`
	if got := buf.String(); got != want {
		t.Errorf("WriteTable wrote\n%s\nwant\n%s", got, want)
	}
}

func TestWriteTableListsTheWholeCatalog(t *testing.T) {
	var buf bytes.Buffer
	if err := catalogdoc.WriteTable(&buf, catalog.Events()); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, e := range catalog.Events() {
		if !strings.Contains(text, e.DisplayName()) || !strings.Contains(text, e.Description) {
			t.Errorf("the table lacks %s or its description", e.DisplayName())
		}
		for _, p := range e.Properties {
			if !strings.Contains(text, e.DisplayName()+"."+string(p.Key)) {
				t.Errorf("the table lacks %s.%s", e.DisplayName(), p.Key)
			}
			if len(p.Values) > 0 && !strings.Contains(text, "one of: "+strings.Join(p.Values, ", ")) {
				t.Errorf("the table lacks the values of %s.%s", e.DisplayName(), p.Key)
			}
		}
	}
}

// The JSON field names are an interface for scripts: they must not
// change.
func TestWriteJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := catalogdoc.WriteJSON(&buf, testEvents()); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(got) != 3 {
		t.Fatalf("got %d entries, want 3", len(got))
	}
	signup := got[1]
	for _, key := range []string{"name", "kind", "source", "description", "properties", "personProperties"} {
		if _, ok := signup[key]; !ok {
			t.Errorf("entry lacks %q: %v", key, signup)
		}
	}
	if _, ok := got[0]["personProperties"]; ok {
		t.Errorf("personProperties should be left out when empty: %v", got[0])
	}
	if props, _ := got[2]["properties"].([]any); props == nil || len(props) != 0 {
		t.Errorf("an event without properties should list [], got %v", got[2]["properties"])
	}
	prop := signup["properties"].([]any)[0].(map[string]any)
	wantProp := map[string]any{"key": "source", "type": "string", "description": "Where it came from.",
		"values": []any{"cli_init", "web"}}
	if b1, b2 := mustJSON(t, prop), mustJSON(t, wantProp); b1 != b2 {
		t.Errorf("property = %s, want %s", b1, b2)
	}
	if got[0]["name"] != "cli_<command>" || got[0]["kind"] != "span" || got[0]["source"] != "cli" {
		t.Errorf("entry 0 = %v", got[0])
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMarkdown(t *testing.T) {
	md := catalogdoc.Markdown(catalog.Events(), catalog.Resource())
	for _, e := range catalog.Events() {
		row := "| `" + e.DisplayName() + "` | " + e.Kind.String() + " | " + string(e.Source) + " | "
		if !strings.Contains(md, row) {
			t.Errorf("no row starts with %q", row)
		}
		if !strings.Contains(md, e.Description) {
			t.Errorf("the description of %s is missing", e.DisplayName())
		}
		for _, p := range e.Properties {
			if !strings.Contains(md, "`"+string(p.Key)+"` ("+p.Type.String()) {
				t.Errorf("property %s.%s is missing", e.DisplayName(), p.Key)
			}
			for _, v := range p.Values {
				if !strings.Contains(md, "`"+v+"`") {
					t.Errorf("value %q of %s.%s is missing", v, e.DisplayName(), p.Key)
				}
			}
		}
		for _, p := range e.PersonProperties {
			if !strings.Contains(md, "`$set."+string(p.Key)+"`") {
				t.Errorf("person property %s.$set.%s is missing", e.DisplayName(), p.Key)
			}
		}
	}
	for _, p := range catalog.Resource() {
		if !strings.Contains(md, "| `"+string(p.Key)+"` | "+p.Description+" |") {
			t.Errorf("resource attribute %s is missing", p.Key)
		}
	}
	for _, s := range append(catalogdoc.LibraryProperties, "IP address", "approximate location", "`duration_ms`", "`success`", "`value`") {
		if !strings.Contains(md, s) {
			t.Errorf("the section does not mention %s", s)
		}
	}
	if strings.Contains(md, catalogdoc.BeginMarker) || strings.Contains(md, catalogdoc.EndMarker) {
		t.Error("the section holds a marker")
	}
	if !strings.HasSuffix(md, "\n") {
		t.Error("the section does not end with a newline")
	}
}

func TestMarkdownEscapesCells(t *testing.T) {
	md := catalogdoc.Markdown(testEvents(), nil)
	if !strings.Contains(md, `A signup \| with a pipe.`) {
		t.Errorf("a | in a description is not escaped:\n%s", md)
	}
	if !strings.Contains(md, "| `brands` | gauge | web | none |") {
		t.Errorf("an event without properties should say none:\n%s", md)
	}
	if !strings.Contains(md, "`source` (string: `cli_init`, `web`): Where it came from.<br>`$set.email` (string): The email.") {
		t.Errorf("properties are not rendered as expected:\n%s", md)
	}
}

func TestSection(t *testing.T) {
	const b, e = catalogdoc.BeginMarker, catalogdoc.EndMarker
	tests := []struct {
		name    string
		doc     string
		section string
		err     bool
	}{
		{"empty section", "# T\n" + b + "\n" + e + "\nafter\n", "", false},
		{"some text", "# T\n" + b + "\nold\ntext\n" + e + "\n", "old\ntext\n", false},
		{"no markers", "# T\n", "", true},
		{"no end", b + "\n", "", true},
		{"twice", b + "\n" + e + "\n" + b + "\n" + e + "\n", "", true},
		{"reversed", e + "\n" + b + "\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := catalogdoc.Section(tt.doc)
			if tt.err {
				if !errors.Is(err, catalogdoc.ErrNoMarkers) {
					t.Errorf("err = %v, want ErrNoMarkers", err)
				}
				if _, err := catalogdoc.ReplaceSection(tt.doc, "x\n"); !errors.Is(err, catalogdoc.ErrNoMarkers) {
					t.Errorf("ReplaceSection err = %v, want ErrNoMarkers", err)
				}
				return
			}
			if err != nil || got != tt.section {
				t.Fatalf("Section = %q, %v; want %q", got, err, tt.section)
			}
			doc, err := catalogdoc.ReplaceSection(tt.doc, "new\n")
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := catalogdoc.Section(doc); got != "new\n" {
				t.Errorf("after ReplaceSection, Section = %q, want %q", got, "new\n")
			}
			before, _, _ := strings.Cut(tt.doc, b)
			_, after, _ := strings.Cut(tt.doc, e)
			if !strings.HasPrefix(doc, before+b) || !strings.HasSuffix(doc, e+after) {
				t.Errorf("ReplaceSection changed text outside the markers:\n%s", doc)
			}
		})
	}
}
