package apicheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// root is the module's directory, from this package's.
const root = "../../.."

// architecture returns the text of ARCHITECTURE.md.
func architecture(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatalf("read the architecture map: %v", err)
	}
	return string(data)
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
	leaves := []string{"catalog", "exporter/posthogtest", "internal/testkit/otlptest"}
	forbidden := map[string][]string{
		"processors": {"exporter", "otelsetup"},
		"exporter":   {"processors", "otelsetup"},
		"resource":   {"processors", "exporter", "otelsetup"},
		// The debugging routes stand beside PostHog's: neither its
		// exporter nor the gate, which stands in front of them all.
		"internal/pipeline/envexport": {"catalog", "processors", "exporter", "resource", "otelsetup"},
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
			case strings.HasPrefix(pkg, "internal/pipeline/") && !belowLibrary(imp):
				t.Errorf("%s, an internal of the library, imports %s, which sits above the library", pkg, imp)
			case strings.HasPrefix(pkg, "internal/app/") && strings.HasPrefix(imp, "internal/testkit/"):
				t.Errorf("%s, of the app, imports the test support %s", pkg, imp)
			}
		}
	}
	for _, leaf := range leaves {
		if _, ok := graph[leaf]; !ok {
			t.Errorf("package %s is gone: update ARCHITECTURE.md and this test", leaf)
		}
	}
}

// belowLibrary reports whether a package of the library's internals
// (internal/pipeline) may import imp: another of them, or a public
// package that otelsetup builds on. Never otelsetup itself, the app or
// the test support, so that the layers stay one above the other.
func belowLibrary(imp string) bool {
	if strings.HasPrefix(imp, "internal/pipeline/") {
		return true
	}
	for _, p := range []string{"catalog", "processors", "exporter", "resource"} {
		if imp == p || strings.HasPrefix(imp, p+"/") {
			return true
		}
	}
	return false
}
