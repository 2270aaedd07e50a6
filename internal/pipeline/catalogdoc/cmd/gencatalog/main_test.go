package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/pipeline/catalogdoc"
)

func TestRun(t *testing.T) {
	const before, after = "# Telemetry\n\n## What is collected\n\n", "\n## Next\n\nkept\n"
	path := filepath.Join(t.TempDir(), "telemetry.md")
	stale := before + catalogdoc.BeginMarker + "\nold text\n" + catalogdoc.EndMarker + after
	if err := os.WriteFile(path, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := run(path, true); err == nil || !strings.Contains(err.Error(), "out of date") {
		t.Errorf("run -check on a stale file: err = %v, want out of date", err)
	}
	if data, _ := os.ReadFile(path); string(data) != stale {
		t.Fatalf("run -check changed the file:\n%s", data)
	}

	if err := run(path, false); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := before + catalogdoc.BeginMarker + "\n" +
		catalogdoc.Markdown(catalog.Events(), catalog.Resource()) +
		catalogdoc.EndMarker + after
	if string(data) != want {
		t.Errorf("rewritten file:\n%s\nwant:\n%s", data, want)
	}
	if err := run(path, true); err != nil {
		t.Errorf("run -check after a rewrite: %v", err)
	}
}

func TestRunWithoutMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.md")
	if err := os.WriteFile(path, []byte("# Elmo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(path, false); err == nil {
		t.Error("run succeeded on a file without markers")
	}
	if data, _ := os.ReadFile(path); string(data) != "# Elmo\n" {
		t.Errorf("the file changed: %q", data)
	}
}
