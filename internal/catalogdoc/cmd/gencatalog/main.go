// Command gencatalog rewrites the "What is collected" section of
// README.md from the event catalog: the text between the lines
// <!-- catalog:begin --> and <!-- catalog:end -->. Run it from the module
// root after changing catalog/events.go:
//
//	go run ./internal/catalogdoc/cmd/gencatalog
//
// With -check it changes nothing and exits 1 when the section is out of
// date.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/atomicfile"
	"github.com/elmohq/telemetry/internal/catalogdoc"
)

func main() {
	path := flag.String("readme", "README.md", "the file to rewrite")
	check := flag.Bool("check", false, "only report whether the section is up to date")
	flag.Parse()
	if err := run(*path, *check); err != nil {
		fmt.Fprintf(os.Stderr, "gencatalog: %v\n", err)
		os.Exit(1)
	}
}

func run(path string, check bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	want := catalogdoc.Markdown(catalog.Events(), catalog.Resource())
	doc, err := catalogdoc.ReplaceSection(string(data), want)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if doc == string(data) {
		fmt.Printf("%s is up to date\n", path)
		return nil
	}
	if check {
		return fmt.Errorf("%s is out of date; run %s", path, catalogdoc.Generator)
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, []byte(doc), info.Mode().Perm()); err != nil {
		return err
	}
	fmt.Printf("rewrote the catalog section of %s\n", path)
	return nil
}
