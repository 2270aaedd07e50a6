package dotenv_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/internal/app/dotenv"
)

const sample = `# Elmo deployment
export DEPLOYMENT_ID=0b7e7c3a-5b1e-4c57-9a39-2b0e1f4f6c11
DEPLOYMENT_MODE=local   # the default

OPENAI_API_KEY="sk-abc#not-a-comment"
SINGLE='it''s' # odd but legal
MULTI="line one
line two"
SPACED = spaced value
EMPTY=
not an assignment
HASH=#comment-only
`

func TestParse(t *testing.T) {
	f, err := dotenv.Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, want string
	}{
		{"DEPLOYMENT_ID", "0b7e7c3a-5b1e-4c57-9a39-2b0e1f4f6c11"},
		{"DEPLOYMENT_MODE", "local"},
		{"OPENAI_API_KEY", "sk-abc#not-a-comment"},
		{"SINGLE", "it"},
		{"MULTI", "line one\nline two"},
		{"SPACED", "spaced value"},
		{"EMPTY", ""},
		{"HASH", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := f.Get(tt.key)
			if !ok || got != tt.want {
				t.Errorf("Get(%q) = %q, %v; want %q", tt.key, got, ok, tt.want)
			}
		})
	}
	if _, ok := f.Get("not"); ok {
		t.Error("a line without = was read as an assignment")
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"A=\"open\nB=2\n", "A='open\n"} {
		if _, err := dotenv.Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("Parse(%q) = %v, want an error naming line 1", in, err)
		}
	}
}

func TestSetAndRemoveKeepEveryOtherByte(t *testing.T) {
	tests := []struct {
		name, in, key, value, afterSet string
	}{
		{"append", "A=1\n# note\n", "DISABLE_TELEMETRY", "1", "A=1\n# note\nDISABLE_TELEMETRY=1\n"},
		{"append without final newline", "A=1", "K", "v", "A=1\nK=v"},
		{"append to empty", "", "K", "v", "K=v\n"},
		{"replace keeps export and comment lines", "# c\nexport K=old # why\nB=2\n", "K", "new", "# c\nexport K=new\nB=2\n"},
		{"replace multi-line value", "A=1\nK=\"x\ny\"\nB=2\n", "K", "z", "A=1\nK=z\nB=2\n"},
		{"CRLF file", "A=1\r\nB=2\r\n", "K", "v", "A=1\r\nB=2\r\nK=v\r\n"},
		{"value needing quotes", "A=1\n", "K", "a b#c", "A=1\nK='a b#c'\n"},
		{"value with quote and newline", "A=1\n", "K", "it's\n\"$x\"", "A=1\nK=\"it's\\n\\\"\\$x\\\"\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := dotenv.Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			_, existed := f.Get(tt.key)
			if err := f.Set(tt.key, tt.value); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Bytes()); got != tt.afterSet {
				t.Errorf("after Set:\n got %q\nwant %q", got, tt.afterSet)
			}
			if got, _ := f.Get(tt.key); got != tt.value {
				t.Errorf("Get after Set = %q, want %q", got, tt.value)
			}
			if removed, err := f.Remove(tt.key); err != nil || !removed {
				t.Fatalf("Remove = %v, %v", removed, err)
			}
			if !existed && string(f.Bytes()) != tt.in {
				t.Errorf("Set then Remove of a new key:\n got %q\nwant %q", f.Bytes(), tt.in)
			}
		})
	}
}

func TestInvalidKeysAreRejected(t *testing.T) {
	f, _ := dotenv.Parse(nil)
	for _, k := range []string{"", "1A", "A-B", "A B", "A=B"} {
		if err := f.Set(k, "v"); err == nil {
			t.Errorf("Set(%q) accepted an invalid name", k)
		}
		if _, err := f.Remove(k); err == nil {
			t.Errorf("Remove(%q) accepted an invalid name", k)
		}
	}
}

func TestWriteFileKeepsModeAndReadFileRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(sample), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := dotenv.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set("DISABLE_TELEMETRY", "1"); err != nil {
		t.Fatal(err)
	}
	if err := dotenv.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	g, err := dotenv.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := g.Get("DISABLE_TELEMETRY"); v != "1" {
		t.Errorf("DISABLE_TELEMETRY = %q after a round trip", v)
	}
	if _, err := g.Remove("DISABLE_TELEMETRY"); err != nil {
		t.Fatal(err)
	}
	if err := dotenv.WriteFile(path, g); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != sample {
		t.Errorf("disable then enable changed the file:\n%s", got)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
			t.Errorf("mode changed to %v", fi.Mode().Perm())
		}
	}
}

func TestEnviron(t *testing.T) {
	f, _ := dotenv.Parse([]byte("A=1\nB=2\nA=3\n"))
	got := strings.Join(f.Environ(), ",")
	if got != "A=3,B=2" {
		t.Errorf("Environ() = %s", got)
	}
}

// FuzzSetRemove checks, for any file that parses and any value, that
// setting a key yields that value when read back, and that setting then
// removing a key leaves every other line of the file unchanged.
func FuzzSetRemove(f *testing.F) {
	f.Add([]byte(sample), "DISABLE_TELEMETRY", "1")
	f.Add([]byte("A=1"), "K", "it's \"quoted\"\n$HOME")
	f.Add([]byte("A=1\r\nB='x'\r\n"), "B", "#")
	f.Add([]byte(""), "K", "")
	f.Add([]byte("export K=\"a\nb\" # c\nZ=9\n"), "K", "\\")
	f.Fuzz(func(t *testing.T, data []byte, key, value string) {
		file, err := dotenv.Parse(data)
		if err != nil {
			return
		}
		if file.Set(key, value) != nil {
			return // invalid key
		}
		if got, ok := file.Get(key); !ok || got != value {
			t.Fatalf("Get after Set = %q, %v; want %q", got, ok, value)
		}
		reparsed, err := dotenv.Parse(file.Bytes())
		if err != nil {
			t.Fatalf("Set produced a file that does not parse: %v", err)
		}
		if got, _ := reparsed.Get(key); got != value {
			t.Fatalf("parse(set(k, v)) = %q, want %q", got, value)
		}
		if _, err := file.Remove(key); err != nil {
			t.Fatal(err)
		}
		orig, _ := dotenv.Parse(data)
		if _, err := orig.Remove(key); err != nil {
			t.Fatal(err)
		}
		// With the key gone from both, the files are the same: every
		// other line survived Set and Remove byte for byte.
		if !bytes.Equal(file.Bytes(), orig.Bytes()) {
			t.Fatalf("other lines changed:\n got %q\nwant %q", file.Bytes(), orig.Bytes())
		}
		for _, k := range orig.Keys() {
			a, _ := orig.Get(k)
			b, _ := file.Get(k)
			if a != b {
				t.Fatalf("value of %s changed from %q to %q", k, a, b)
			}
		}
	})
}
