// Command gencatalog rewrites the "What is collected" section of the
// telemetry page, docs/telemetry.md, from the event catalog: the text
// between the lines <!-- catalog:begin --> and <!-- catalog:end -->.
// After changing catalog/events.go, run
//
//	go generate ./...
//
// from the module root: the go:generate line of catalog/events.go runs
// gencatalog -C .. (-C names the directory the files are relative to).
// Files named as arguments are rewritten instead. With -check it changes
// nothing and exits 1 when a section is out of date.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/pipeline/atomicfile"
	"github.com/elmohq/telemetry/internal/pipeline/catalogdoc"
)

func main() {
	check := flag.Bool("check", false, "only report whether the sections are up to date")
	dir := flag.String("C", ".", "the directory the files are relative to: the module root")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: gencatalog [-check] [-C dir] [file ...]\n\nThe files default to %v.\n", catalogdoc.Documents)
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := os.Chdir(*dir); err != nil {
		fmt.Fprintf(os.Stderr, "gencatalog: %v\n", err)
		os.Exit(1)
	}
	paths := flag.Args()
	if len(paths) == 0 {
		paths = catalogdoc.Documents
	}
	failed := false
	for _, path := range paths {
		if err := run(path, *check); err != nil {
			fmt.Fprintf(os.Stderr, "gencatalog: %v\n", err)
			failed = true
		}
	}
	if failed {
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
