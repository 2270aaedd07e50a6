package apicheck

import (
	"go/ast"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/consent"
)

// literalUses maps each string literal of the code that is not a test to
// the files, relative to the root, that spell it.
func literalUses(t *testing.T) map[string][]string {
	t.Helper()
	uses := map[string][]string{}
	goFiles(t, func(rel string, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			if _, ok := n.(*ast.ImportSpec); ok {
				return false // a package path, not a word of the code
			}
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && !slices.Contains(uses[s], rel) {
					uses[s] = append(uses[s], rel)
				}
			}
			return true
		})
	})
	return uses
}

// TestOneDefinition checks that each event name, property key, resource
// key and opt-out variable is spelled in one place: the catalog for the
// vocabulary, internal/consent for the opt-out variables. Any other
// package names them through those packages' identifiers, so a rename
// cannot leave a second spelling behind.
func TestOneDefinition(t *testing.T) {
	uses := literalUses(t)
	type word struct{ name, home string }
	var words []word
	add := func(name, home string) {
		if name != "" {
			words = append(words, word{name, home})
		}
	}
	for _, ev := range catalog.Events() {
		add(ev.Name, "catalog/")
		for _, p := range slices.Concat(ev.Properties, ev.PersonProperties) {
			add(string(p.Key), "catalog/")
		}
	}
	for _, p := range catalog.Resource() {
		add(string(p.Key), "catalog/")
		add(p.SentAs, "catalog/")
	}
	for _, v := range consent.OptOutVars() {
		add(v, "internal/consent/")
	}
	slices.SortFunc(words, func(a, b word) int { return strings.Compare(a.name, b.name) })
	words = slices.Compact(words)
	if len(words) < 30 {
		t.Fatalf("only %d words to check: the catalog was not read", len(words))
	}
	used := map[string]bool{}
	for _, w := range words {
		for _, file := range uses[w.name] {
			if strings.HasPrefix(file, w.home) {
				continue
			}
			if _, ok := sameWordElsewhere[file+" "+w.name]; ok {
				used[file+" "+w.name] = true
				continue
			}
			t.Errorf("%s spells %q, which %s defines: use its identifier", file, w.name, w.home)
		}
	}
	for k := range sameWordElsewhere {
		if !used[k] {
			t.Errorf("sameWordElsewhere lists %q, which the code no longer spells: remove it", k)
		}
	}
}

// sameWordElsewhere lists the files that spell a word of the vocabulary
// for another purpose, never as telemetry, with that purpose.
var sameWordElsewhere = map[string]string{
	"cmd/elmo/init.go email":                      "the --email flag",
	"cmd/elmo/init.go provider":                   "the --provider flag",
	"cmd/elmo-worker/worker.go provider":          "a key of the worker's own log lines, which stay on the machine",
	"cmd/elmo-worker/worker.go model":             "a key of the worker's own log lines, which stay on the machine",
	"processors/reason.go email":                  "the name of a reason for a drop",
	"cmd/elmo/version.go version":                 "the name of the version command",
	"internal/startupprobe/bare/main.go version":  "the name of the version command",
	"internal/startupprobe/off/main.go version":   "the name of the version command",
	"internal/startupprobe/floor/main.go version": "the name of the version command",
}

// TestOneDefinitionOfEachVariable checks that each environment variable
// the programs read is spelled in one file: its package exports a
// constant for the others to use. The examples are left out: they are
// written to be copied out of this module, so they spell what they set.
func TestOneDefinitionOfEachVariable(t *testing.T) {
	envVar := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	checked := 0
	for lit, files := range literalUses(t) {
		if !envVar.MatchString(lit) {
			continue
		}
		checked++
		files = slices.DeleteFunc(slices.Clone(files), func(f string) bool { return strings.HasPrefix(f, "examples/") })
		if len(files) > 1 {
			t.Errorf("%s is spelled in %d files (%s): define it once and use that constant", lit, len(files), strings.Join(files, ", "))
		}
	}
	if checked < 10 {
		t.Fatalf("only %d variable names found in the code", checked)
	}
}
