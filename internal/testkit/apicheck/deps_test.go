package apicheck

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// heavyModules are modules that must not be linked into Elmo's programs:
// PostHog's Go client and the compression and JSON libraries it brings,
// which together cost several megabytes of every binary. The exporter
// speaks PostHog's capture APIs itself; the benchmarks and the compliance
// adapter may still use posthog-go.
var heavyModules = []string{
	"github.com/posthog/posthog-go",
	"github.com/andybalholm/brotli",
	"github.com/klauspost/compress",
	"github.com/goccy/go-json",
}

// TestProgramsDoNotLinkHeavyModules walks the imports of each program
// Elmo ships, tests excluded, and reports every package of a heavy module
// it reaches, with the chain of imports that brings it in.
func TestProgramsDoNotLinkHeavyModules(t *testing.T) {
	programs := []string{"./cmd/elmo", "./cmd/elmo-web", "./cmd/elmo-worker"}
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedImports | packages.NeedDeps, Dir: "../../.."}
	pkgs, err := packages.Load(cfg, programs...)
	if err != nil {
		t.Fatalf("load the programs: %v", err)
	}
	if len(pkgs) != len(programs) {
		t.Fatalf("loaded %d packages for %d programs", len(pkgs), len(programs))
	}
	for _, root := range pkgs {
		t.Run(root.PkgPath, func(t *testing.T) {
			if len(root.Errors) > 0 {
				t.Fatalf("load %s: %v", root.PkgPath, root.Errors)
			}
			// Breadth first, so that the chain reported is a shortest one.
			via := map[string]string{root.PkgPath: ""}
			queue := []*packages.Package{root}
			seen := 0
			for len(queue) > 0 {
				p := queue[0]
				queue = queue[1:]
				seen++
				if heavy(p.PkgPath) {
					t.Errorf("%s links %s: %s", root.PkgPath, p.PkgPath, chain(via, p.PkgPath))
					continue
				}
				for _, path := range sortedKeys(p.Imports) {
					if _, ok := via[path]; ok {
						continue
					}
					via[path] = p.PkgPath
					queue = append(queue, p.Imports[path])
				}
			}
			// A program that loaded without its dependencies would pass
			// for the wrong reason.
			if seen < 50 {
				t.Errorf("%s reaches only %d packages; the import graph did not load", root.PkgPath, seen)
			}
		})
	}
}

func heavy(path string) bool {
	for _, m := range heavyModules {
		if path == m || strings.HasPrefix(path, m+"/") {
			return true
		}
	}
	return false
}

// chain returns the imports from the program to path, as "a -> b -> c".
func chain(via map[string]string, path string) string {
	var c []string
	for p := path; p != ""; p = via[p] {
		c = append(c, p)
	}
	slices.Reverse(c)
	return strings.Join(c, " -> ")
}

func sortedKeys(m map[string]*packages.Package) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
