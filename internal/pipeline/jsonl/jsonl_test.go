package jsonl

import (
	"bytes"
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
