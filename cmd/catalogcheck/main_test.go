package main_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestScriptOnACopyOfTheRepo is the acceptance check of the analyzer: on a
// copy of the module, scripts/catalogcheck passes; once
// cmd/elmo/version.go sets an attribute the catalog does not allow on the
// cli_version span, it fails and names the file, the line, the key and
// the catalog entry.
func TestScriptOnACopyOfTheRepo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and vets cmd/elmo in a copy of the module")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyModule(t, root, dir)

	script := filepath.Join(dir, "scripts", "catalogcheck")
	run := func() (string, error) {
		cmd := exec.Command(script, "./cmd/elmo")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	t.Run("unmodified", func(t *testing.T) {
		out, err := run()
		if err != nil {
			t.Fatalf("scripts/catalogcheck failed on the unmodified copy: %v\n%s", err, out)
		}
	})

	t.Run("key not allowed on cli_version", func(t *testing.T) {
		version := filepath.Join(dir, "cmd", "elmo", "version.go")
		src, err := os.ReadFile(version)
		if err != nil {
			t.Fatal(err)
		}
		const anchor = "RunE: func(cmd *cobra.Command, _ []string) error {\n"
		if !bytes.Contains(src, []byte(anchor)) {
			t.Fatalf("version.go no longer has %q; update the test", anchor)
		}
		added := "\t\t\ttrace.SpanFromContext(cmd.Context()).SetAttributes(attribute.String(\"output_path\", \"/tmp/elmo\"))\n"
		src = bytes.Replace(src, []byte(anchor), []byte(anchor+added), 1)
		src = bytes.Replace(src, []byte("import (\n"), []byte("import (\n\t\"go.opentelemetry.io/otel/attribute\"\n\t\"go.opentelemetry.io/otel/trace\"\n"), 1)
		if err := os.WriteFile(version, src, 0o644); err != nil {
			t.Fatal(err)
		}
		line := 1 + bytes.Count(src[:bytes.Index(src, []byte(added))], []byte("\n"))

		out, err := run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("scripts/catalogcheck did not fail on the modified copy: %v\n%s", err, out)
		}
		want := regexp.MustCompile(`cmd/elmo/version\.go:` + strconv.Itoa(line) + `:\d+: attribute "output_path" is not allowed on the span of command "version".*catalog entry cli_version`)
		if !want.MatchString(out) {
			t.Errorf("output does not name the file, line %d, key and entry; want match for %s, got:\n%s", line, want, out)
		}
	})
}

// copyModule copies the module at src to dst: its Go sources, go.mod,
// go.sum and scripts, without hidden directories or built binaries.
func copyModule(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		keep := strings.HasSuffix(path, ".go") || rel == "go.mod" || rel == "go.sum" ||
			strings.HasPrefix(rel, "scripts"+string(filepath.Separator))
		if !keep || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copying the module: %v", err)
	}
}
