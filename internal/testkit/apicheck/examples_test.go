package apicheck

import (
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// TestExamplesImportNoInternalPackage checks that every example program
// imports public packages only, so that a reader can copy it out of this
// module and build it. Their tests may use the module's test support.
func TestExamplesImportNoInternalPackage(t *testing.T) {
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedImports, Dir: "../../.."}
	pkgs, err := packages.Load(cfg, "./examples/...")
	if err != nil {
		t.Fatalf("load the examples: %v", err)
	}
	if len(pkgs) == 0 {
		t.Fatal("no example was loaded")
	}
	for _, pkg := range pkgs {
		if len(pkg.Errors) > 0 {
			t.Fatalf("load %s: %v", pkg.PkgPath, pkg.Errors)
		}
		for path := range pkg.Imports {
			if isInternal(path) && strings.HasPrefix(path, "github.com/elmohq/telemetry/") {
				t.Errorf("%s imports %s: a reader cannot copy it out of this module", pkg.PkgPath, path)
			}
		}
	}
}
