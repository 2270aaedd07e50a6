package apicheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// root is the module's directory, from this package's.
const root = "../.."

// architecture returns the text of ARCHITECTURE.md.
func architecture(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatalf("read the architecture map: %v", err)
	}
	return string(data)
}

// mappedPackages returns the package paths the tables of ARCHITECTURE.md
// name, relative to the root module. A row may name several: "`a`,
// `b`" where b is a sibling of a, or "`a` (+ `/b`)" for a's children.
func mappedPackages(doc string) map[string]bool {
	cell := regexp.MustCompile("`([^`]+)`")
	out := map[string]bool{}
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(strings.TrimPrefix(line, "| "), " |", 2)[0]
		names := cell.FindAllStringSubmatch(first, -1)
		base := names[0][1]
		out[base] = true
		for _, m := range names[1:] {
			switch name := m[1]; {
			case strings.HasPrefix(name, "/"):
				out[base+name] = true
			default:
				out[filepath.Join(filepath.Dir(base), name)] = true
			}
		}
	}
	return out
}

// listPackages returns the packages of the module in dir, relative to
// the root module's path.
func listPackages(t *testing.T, dir string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}", "./...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v", dir, err)
	}
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		pkgs = append(pkgs, strings.TrimPrefix(strings.TrimPrefix(p, "github.com/elmohq/telemetry"), "/"))
	}
	return pkgs
}

// TestArchitectureNamesEveryPackage checks that ARCHITECTURE.md has a row
// for every package of both modules, and no row for a package that is
// gone.
func TestArchitectureNamesEveryPackage(t *testing.T) {
	mapped := mappedPackages(architecture(t))
	listed := map[string]bool{}
	for _, dir := range []string{root, filepath.Join(root, "collector")} {
		for _, p := range listPackages(t, dir) {
			listed[p] = true
			if !mapped[p] {
				t.Errorf("ARCHITECTURE.md has no row for package %s", p)
			}
		}
	}
	for p := range mapped {
		if !listed[p] {
			t.Errorf("ARCHITECTURE.md names package %s, which go list does not know", p)
		}
	}
}

// goFiles parses every Go file of both modules that is not a test, as the
// go tool sees them (testdata and names starting with . or _ are left
// out), and calls visit with each file's path relative to the root.
func goFiles(t *testing.T, visit func(rel string, f *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		visit(rel, f)
		return nil
	})
	if err != nil {
		t.Fatalf("parse the module's code: %v", err)
	}
}

// declared collects every name the Go code of both modules declares
// (functions, methods, types, constants, variables, struct fields and
// interface methods) and every string literal, from the files that are
// not tests.
func declared(t *testing.T) (names, literals map[string]bool) {
	t.Helper()
	names, literals = map[string]bool{}, map[string]bool{}
	goFiles(t, func(_ string, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				names[n.Name.Name] = true
			case *ast.TypeSpec:
				names[n.Name.Name] = true
			case *ast.ValueSpec:
				for _, id := range n.Names {
					names[id.Name] = true
				}
			case *ast.Field:
				for _, id := range n.Names {
					names[id.Name] = true
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if s, err := strconv.Unquote(n.Value); err == nil {
						literals[s] = true
					}
				}
			}
			return true
		})
	})
	return names, literals
}

// TestArchitectureNamesExist checks that every identifier ARCHITECTURE.md
// names in backquotes (`Client.Shutdown`, `otelsetup.Start`,
// `ELMO_POSTHOG_HOST`) is still declared in the code, or for a variable
// of the environment, still read by it: a renamed function makes the
// map wrong, and this test says where.
func TestArchitectureNamesExist(t *testing.T) {
	names, literals := declared(t)
	doc := architecture(t)
	packageNames := map[string]bool{}
	for p := range mappedPackages(doc) {
		packageNames[filepath.Base(p)] = true
	}
	ident := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	envVar := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	quoted := regexp.MustCompile("`([^`\n]+)`")
	// Packages of other modules, whose names the map also uses.
	external := map[string]bool{"sdktrace": true, "sdkmetric": true, "otel": true, "MeterProvider": true}
	// Words in backquotes that are neither identifiers nor literals of
	// the code: file names, go.mod's own words and the collector's YAML.
	notOurs := map[string]bool{"json": true, "jsonl": true, "yaml": true, "md": true, "mod": true,
		"env": true, "go": true, "replace": true, "internal": true, "pdata": true,
		"file_storage": true} // an extension of the collector, named in its YAML
	checked := 0
	for _, m := range quoted.FindAllStringSubmatch(doc, -1) {
		tok := strings.TrimSuffix(strings.TrimSuffix(m[1], "()"), "(..)")
		// A call such as otel.Tracer(..).Start(ctx, name): check each
		// name called.
		for _, part := range regexp.MustCompile(`\([^)]*\)`).Split(tok, -1) {
			part = strings.Trim(part, ". ")
			switch {
			case part == "":
			case envVar.MatchString(part):
				checked++
				if !literals[part] && !mentionsLiteral(literals, part) {
					t.Errorf("ARCHITECTURE.md names %s, which no code reads", part)
				}
			case ident.MatchString(part):
				if external[strings.Split(part, ".")[0]] {
					continue
				}
				for _, name := range strings.Split(part, ".") {
					if notOurs[name] || packageNames[name] {
						continue
					}
					checked++
					// A property or a component is named by a string
					// literal (distinct_id, elmofilter).
					if !names[name] && !literals[name] {
						t.Errorf("ARCHITECTURE.md names %s (in `%s`), which no code declares", name, m[1])
					}
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d names checked: the map's backquoted names were not found", checked)
	}
}

// mentionsLiteral reports whether a string literal contains s, as
// "OTEL_METRIC_EXPORT_INTERVAL=" would.
func mentionsLiteral(literals map[string]bool, s string) bool {
	for l := range literals {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// imports returns, for each package of the module in dir, the packages
// of this project it imports directly, all paths relative to the root
// module.
func imports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v", dir, err)
	}
	const module = "github.com/elmohq/telemetry"
	rel := func(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }
	graph := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := rel(fields[0])
		graph[pkg] = []string{}
		for _, imp := range fields[1:] {
			if imp == module || strings.HasPrefix(imp, module+"/") {
				graph[pkg] = append(graph[pkg], rel(imp))
			}
		}
	}
	return graph
}

// TestArchitectureRules checks the rules of ARCHITECTURE.md's "Import
// direction" on the imports go list reports.
func TestArchitectureRules(t *testing.T) {
	graph := imports(t, root)
	for p, imps := range imports(t, filepath.Join(root, "collector")) {
		graph[p] = imps
	}
	if !strings.Contains(architecture(t), "`catalog` is a leaf") {
		t.Fatal("ARCHITECTURE.md no longer states the rules this test checks: update both")
	}
	leaves := []string{"catalog", "internal/envexport", "exporter/posthogtest", "internal/otlptest"}
	forbidden := map[string][]string{
		"processors": {"exporter", "otelsetup"},
		"exporter":   {"processors", "otelsetup"},
		"resource":   {"processors", "exporter", "otelsetup"},
	}
	never := func(imp string) bool {
		for _, prefix := range []string{"cmd/", "examples/", "e2e", "scripts/"} {
			if strings.HasPrefix(imp, prefix) {
				return true
			}
		}
		return false
	}
	for pkg, imps := range graph {
		for _, imp := range imps {
			switch {
			case slices.Contains(leaves, pkg):
				t.Errorf("%s imports %s; it must import nothing of this project", pkg, imp)
			case slices.Contains(forbidden[pkg], imp):
				t.Errorf("%s imports %s, against the import direction", pkg, imp)
			case never(imp):
				t.Errorf("%s imports %s, which nothing may import", pkg, imp)
			case strings.HasPrefix(imp, "collector") && !strings.HasPrefix(pkg, "collector"):
				t.Errorf("%s, of the root module, imports the collector's %s", pkg, imp)
			}
		}
	}
	for _, leaf := range leaves {
		if _, ok := graph[leaf]; !ok {
			t.Errorf("package %s is gone: update ARCHITECTURE.md and this test", leaf)
		}
	}
}
