package catalogcheck_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/elmohq/telemetry/catalog/catalogcheck"
)

// TestAnalyzer runs the analyzer over the packages of testdata/src, whose
// "// want" comments say what must be reported; every other line must
// not be.
func TestAnalyzer(t *testing.T) {
	for _, pkg := range []string{
		"spans",      // span names, keys on known and unknown spans, types, enums
		"metrics",    // instrument names and kinds, keys recorded on them
		"commands",   // command spans: names and the keys set on them
		"localentry", // catalog entries declared in the package
		"ignore",     // the ignore directive
		"versioncmd", // the acceptance case: cmd/elmo/version.go with a key cli_version does not allow
		"clean",      // nothing to report
		"testfiles",  // findings in _test.go files are left out
	} {
		t.Run(pkg, func(t *testing.T) {
			analysistest.Run(t, analysistest.TestData(), catalogcheck.Analyzer, pkg)
		})
	}
}

// TestAnalyzerTestFiles checks that -testfiles reports findings in
// _test.go files.
func TestAnalyzerTestFiles(t *testing.T) {
	if err := catalogcheck.Analyzer.Flags.Set("testfiles", "true"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = catalogcheck.Analyzer.Flags.Set("testfiles", "false") })
	analysistest.Run(t, analysistest.TestData(), catalogcheck.Analyzer, "testfilesflag")
}
