package jsonl

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestNewest(t *testing.T) {
	lines := [][]byte{[]byte("aaaa\n"), []byte("bb\n"), []byte("c\n"), []byte("dddd\n")}
	for _, tc := range []struct {
		name               string
		maxLines, maxBytes int
		want               string
	}{
		{"all fit", 10, 100, "aaaa\nbb\nc\ndddd\n"},
		{"line cap", 2, 100, "c\ndddd\n"},
		{"byte cap", 10, 10, "bb\nc\ndddd\n"},
		{"byte cap stops at a line that does not fit", 10, 8, "c\ndddd\n"},
		{"nothing fits", 10, 4, ""},
		{"no lines allowed", 0, 100, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(bytes.Join(Newest(lines, tc.maxLines, tc.maxBytes), nil)); got != tc.want {
				t.Errorf("Newest = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAppendWithin(t *testing.T) {
	fresh := [][]byte{[]byte("c\n"), []byte("d\n")}
	tests := []struct {
		name     string
		current  string
		mode     os.FileMode
		maxLines int
		maxBytes int
		want     bool
	}{
		{"no file yet", "", 0, 10, 100, true},
		{"within the caps", "a\nb\n", 0o600, 4, 8, true},
		{"one line too many", "a\nb\n", 0o600, 3, 100, false},
		{"one byte too many", "a\nb\n", 0o600, 10, 7, false},
		{"a partial last line", "a\nb", 0o600, 10, 100, false},
		{"another mode", "a\n", 0o644, 10, 100, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.jsonl")
			if tt.mode != 0 {
				if err := os.WriteFile(path, []byte(tt.current), tt.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			got := AppendWithin(path, []byte(tt.current), fresh, tt.maxLines, tt.maxBytes)
			if got != tt.want {
				t.Fatalf("AppendWithin = %v, want %v", got, tt.want)
			}
			data, _ := os.ReadFile(path)
			want := tt.current
			if tt.want {
				want += "c\nd\n"
			}
			if string(data) != want {
				t.Errorf("the file holds %q, want %q", data, want)
			}
			if fi, err := os.Stat(path); tt.want && (err != nil || fi.Mode().Perm() != 0o600) {
				t.Errorf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
			}
		})
	}
}
