// Command catalogcheck reports telemetry that the Elmo catalog would drop
// at run time: spans and instruments it does not name, attribute keys it
// does not allow, and enumerated values outside its values. See package
// github.com/elmohq/telemetry/catalog/catalogcheck for what it checks
// and how to exempt a line.
//
// Build it and run it with go vet over the module:
//
//	go build -o /tmp/catalogcheck ./cmd/catalogcheck
//	go vet -vettool=/tmp/catalogcheck ./...
//
// or run it on its own (slower: it loads every package from source):
//
//	go run ./cmd/catalogcheck ./...
//
// Findings in _test.go files are left out unless -testfiles is given
// (with go vet, -catalogcheck.testfiles). scripts/catalogcheck runs it
// with go vet over this module and, when it exists, the collector/
// module, and exits non-zero on a finding.
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/elmohq/telemetry/catalog/catalogcheck"
)

func main() { singlechecker.Main(catalogcheck.Analyzer) }
