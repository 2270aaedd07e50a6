package atomicfile_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/internal/pipeline/atomicfile"
)

func TestWriteFileReplacesAndLeavesNoTemporaryFile(t *testing.T) {
	for _, w := range []struct {
		name  string
		write func(string, []byte, os.FileMode) error
	}{
		{"WriteFile", atomicfile.WriteFile},
		{"WriteFileUnsynced", atomicfile.WriteFileUnsynced},
	} {
		t.Run(w.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.json")
			for _, content := range []string{"first", "second, longer"} {
				if err := w.write(path, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(path)
				if err != nil || string(got) != content {
					t.Fatalf("got %q, %v; want %q", got, err, content)
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only the file", len(entries))
			}
			if runtime.GOOS != "windows" {
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, want 0600", fi.Mode().Perm())
				}
			}
		})
	}
}

func TestWriteFileErrorNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "f.json")
	err := atomicfile.WriteFile(path, []byte("x"), 0o600)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
}

func TestWriteFileWritesThroughSymbolicLinks(t *testing.T) {
	tests := []struct {
		name string
		// links are created in order, each name (in the link directory)
		// pointing at its destination; "<target>" stands for the target
		// file's absolute path, "<rel-target>" for it relative to the
		// link directory.
		links        [][2]string
		targetExists bool
	}{
		{"absolute link", [][2]string{{"f.json", "<target>"}}, true},
		{"relative link", [][2]string{{"f.json", "<rel-target>"}}, true},
		{"chain of links", [][2]string{{"middle.json", "<target>"}, {"f.json", "middle.json"}}, true},
		{"dangling link creates the target", [][2]string{{"f.json", "<target>"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			linkDir := filepath.Join(root, "config", "elmo")
			targetDir := filepath.Join(root, "dotfiles", "elmo")
			for _, d := range []string{linkDir, targetDir} {
				if err := os.MkdirAll(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			target := filepath.Join(targetDir, "config.json")
			if tt.targetExists {
				if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			rel, err := filepath.Rel(linkDir, target)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range tt.links {
				dest := strings.NewReplacer("<target>", target, "<rel-target>", rel).Replace(l[1])
				if err := os.Symlink(dest, filepath.Join(linkDir, l[0])); err != nil {
					t.Skipf("cannot create symbolic links here: %v", err)
				}
			}
			path := filepath.Join(linkDir, "f.json")
			linkBefore, _ := os.Readlink(path)

			if err := atomicfile.WriteFile(path, []byte("new"), 0o600); err != nil {
				t.Fatal(err)
			}

			fi, err := os.Lstat(path)
			if err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("%s is no longer a symbolic link: %v, %v", path, fi.Mode(), err)
			}
			if linkAfter, _ := os.Readlink(path); linkAfter != linkBefore {
				t.Errorf("the link now points at %q, want %q", linkAfter, linkBefore)
			}
			if got, err := os.ReadFile(target); err != nil || string(got) != "new" {
				t.Errorf("target holds %q, %v; want the new content", got, err)
			}
			if got, _ := os.ReadFile(path); string(got) != "new" {
				t.Errorf("reading through the link gives %q", got)
			}
			if fi, _ := os.Stat(target); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
				t.Errorf("target mode %v, want 0600", fi.Mode().Perm())
			}
			// No temporary file is left in either directory.
			for _, d := range []string{linkDir, targetDir} {
				entries, _ := os.ReadDir(d)
				for _, e := range entries {
					if strings.HasSuffix(e.Name(), ".tmp") {
						t.Errorf("temporary file %s left in %s", e.Name(), d)
					}
				}
			}
			if entries, _ := os.ReadDir(targetDir); len(entries) != 1 {
				t.Errorf("the target directory holds %d entries, want only the target", len(entries))
			}
		})
	}
}

func TestWriteFileRefusesALoopOfLinks(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.Symlink(b, a); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	if err := os.Symlink(a, b); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.WriteFile(a, []byte("x"), 0o600)
	if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), "symbolic links") {
		t.Fatalf("got %v, want an error naming %s and the loop", err, a)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries, want the two links only", len(entries))
	}
}
