package catalogdoc_test

import (
	"os"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/pipeline/catalogdoc"
)

// WriteTable prints the catalog as `elmo telemetry events` does; here a
// catalog with one event added to it.
func ExampleWriteTable() {
	events := []catalog.Event{{
		Name: "reports_exported", Kind: catalog.KindCounter, Source: catalog.SourceWeb,
		Description: "Reports exported from the web app, by format.",
		Properties: []catalog.Property{{Key: "format", Type: catalog.TypeString,
			Values: []string{"csv", "pdf"}, Description: "The file format."}},
	}}
	_ = catalogdoc.WriteTable(os.Stdout, events)
	// Output:
	// EVENT             KIND     SOURCE  PROPERTIES  WHAT IT IS FOR
	// reports_exported  counter  web     format      Reports exported from the web app, by format.
	//
	// Properties:
	//   reports_exported.format  string  The file format.
	//                                    one of: csv, pdf
	//
	// Every event also carries the program, its version, the OS and architecture,
	// the runtime version and the deployment mode. CLI events are keyed by the
	// random install ID, deployment events by the random deployment ID.
}
