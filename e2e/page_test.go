package e2e

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// pagePath is the telemetry page, the public promise to users.
const pagePath = "../docs/telemetry.md"

// promiseMark ends a promise on the page: the name of its test, in an
// HTML comment that does not show when the page is rendered.
var promiseMark = regexp.MustCompile(`<!--\s*(Test\w+)\s*-->\s*$`)

// promise is one promise of the page and the test that checks it.
type promise struct {
	sentence string
	test     string
}

// pagePromises returns the promises of the telemetry page: every bullet
// that ends with the name of its test.
func pagePromises(t *testing.T) []promise {
	t.Helper()
	data, err := os.ReadFile(pagePath)
	if err != nil {
		t.Fatal(err)
	}
	var out []promise
	var item []string
	flush := func() { item = nil }
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "- "):
			item = []string{strings.TrimPrefix(line, "- ")}
		case item != nil && strings.HasPrefix(line, "  ") && strings.TrimSpace(line) != "":
			item = append(item, strings.TrimSpace(line))
		default:
			flush()
			continue
		}
		last := item[len(item)-1]
		if m := promiseMark.FindStringSubmatch(last); m != nil {
			item[len(item)-1] = strings.TrimSpace(promiseMark.ReplaceAllString(last, ""))
			out = append(out, promise{sentence: normalize(strings.Join(item, " ")), test: m[1]})
			flush()
		}
	}
	return out
}

// normalize collapses runs of white space into one space.
func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// testDocs returns the doc comment of every test function of this
// package, by name, with white space normalized.
func testDocs(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	docs := map[string]string{}
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !strings.HasPrefix(fd.Name.Name, "Test") {
				continue
			}
			docs[fd.Name.Name] = normalize(fd.Doc.Text())
		}
	}
	return docs
}

// Every promise of the telemetry page names the test that checks it, and
// that test quotes the promise word for word above it; every promise
// test quotes a promise of the page. So the page cannot promise what no
// test checks, and no test checks a promise the page no longer makes.
func TestEveryPromiseOfThePageHasItsTest(t *testing.T) {
	promises := pagePromises(t)
	if len(promises) < 30 {
		t.Fatalf("found %d promises on %s; the parser of the page is broken", len(promises), pagePath)
	}
	docs := testDocs(t)
	named := map[string]bool{}
	for _, p := range promises {
		named[p.test] = true
		doc, ok := docs[p.test]
		switch {
		case !ok:
			t.Errorf("%s names %s, which is not a test of e2e, for the promise %q", pagePath, p.test, p.sentence)
		case !strings.Contains(doc, `"`+p.sentence+`"`):
			t.Errorf("%s does not quote its promise; its comment should hold, in double quotes:\n%s", p.test, p.sentence)
		}
	}
	var orphans []string
	for name := range docs {
		if strings.HasPrefix(name, "TestPromise_") && !named[name] {
			orphans = append(orphans, name)
		}
	}
	sort.Strings(orphans)
	for _, name := range orphans {
		t.Errorf("%s checks a promise that %s does not make: name it after its sentence there, or rename the test", name, pagePath)
	}
}
