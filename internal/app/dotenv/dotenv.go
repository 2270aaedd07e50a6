// Package dotenv reads and edits a deployment's .env file.
//
// The file belongs to the user: it holds their comments, provider keys and
// settings in the order they chose. Parse keeps the file's bytes as they
// are, and Set and Remove change only the lines of the one key they edit,
// so that every other line, comment and blank line survives byte for byte.
//
// The syntax is the common dotenv one: KEY=value lines, optionally
// prefixed with "export "; blank lines and lines starting with #;
// unquoted values end at " #" (a comment) and are trimmed; single-quoted
// values are literal; double-quoted values may span lines and understand
// the escapes \n, \r, \t, \", \\ and \$.
package dotenv

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/elmohq/telemetry/internal/pipeline/atomicfile"
)

// File is a parsed .env file that remembers its exact bytes.
type File struct {
	src     []byte
	entries []entry
}

// entry is one KEY=value assignment and where it stands in src.
type entry struct {
	key        string
	value      string
	start, end int // src[start:end] is the whole logical line with its line break
}

// Parse parses the contents of a .env file. Lines that are neither blank,
// comments nor assignments are kept as they are and ignored; an
// unterminated quoted value is an error, since it would swallow the rest
// of the file.
func Parse(data []byte) (*File, error) {
	f := &File{src: bytes.Clone(data)}
	pos := 0
	line := 1
	for pos < len(f.src) {
		e, next, lines, err := parseLine(f.src, pos)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if e.key != "" {
			f.entries = append(f.entries, e)
		}
		line += lines
		pos = next
	}
	return f, nil
}

// ReadFile parses the .env file at path. A missing file yields an empty
// File and an error that wraps fs.ErrNotExist.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &File{}, err
		}
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// WriteFile replaces the file at path with f's bytes atomically, with mode
// 0600 for a new file (an existing file keeps its mode).
func WriteFile(path string, f *File) error {
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	return atomicfile.WriteFile(path, f.src, mode)
}

// Bytes returns the file's contents.
func (f *File) Bytes() []byte { return bytes.Clone(f.src) }

// Get returns the value of key. When a key is assigned more than once the
// last assignment wins, as when the file is loaded into an environment.
func (f *File) Get(key string) (string, bool) {
	for i := len(f.entries) - 1; i >= 0; i-- {
		if f.entries[i].key == key {
			return f.entries[i].value, true
		}
	}
	return "", false
}

// Keys returns the keys assigned in the file, in order of first
// appearance.
func (f *File) Keys() []string {
	seen := make(map[string]bool, len(f.entries))
	var keys []string
	for _, e := range f.entries {
		if !seen[e.key] {
			seen[e.key] = true
			keys = append(keys, e.key)
		}
	}
	return keys
}

// Environ returns the assignments as KEY=value strings, as os.Environ
// does, with the last assignment of a key winning.
func (f *File) Environ() []string {
	keys := f.Keys()
	env := make([]string, 0, len(keys))
	for _, k := range keys {
		v, _ := f.Get(k)
		env = append(env, k+"="+v)
	}
	return env
}

// Set assigns value to key. Every existing assignment of key is rewritten
// in place; when there is none, one is appended at the end. Every other
// byte of the file stays as it was. The key must be a valid variable name.
func (f *File) Set(key, value string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	nl := f.lineBreak()
	text := key + "=" + quote(value)
	var found bool
	for i := len(f.entries) - 1; i >= 0; i-- {
		e := f.entries[i]
		if e.key != key {
			continue
		}
		found = true
		// Keep an "export " prefix and the line's own line break.
		prefix := ""
		if bytes.HasPrefix(bytes.TrimLeft(f.src[e.start:e.end], " \t"), []byte("export ")) {
			prefix = "export "
		}
		brk := lineEnding(f.src[e.start:e.end])
		f.replace(e.start, e.end, prefix+text+brk)
	}
	if !found {
		switch {
		case len(f.src) == 0:
			f.src = append(f.src, text+nl...)
		case f.src[len(f.src)-1] == '\n':
			f.src = append(f.src, text+nl...)
		default:
			// Keep a file without a final line break without one, so that
			// Remove restores it exactly. A lone final '\r' becomes part
			// of a "\r\n", which Remove takes away whole.
			if f.src[len(f.src)-1] == '\r' {
				nl = "\r\n"
			}
			f.src = append(f.src, nl+text...)
		}
	}
	return f.reparse()
}

// Remove deletes every assignment of key and reports whether there was
// one. Every other byte of the file stays as it was.
func (f *File) Remove(key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	var found bool
	for i := len(f.entries) - 1; i >= 0; i-- {
		e := f.entries[i]
		if e.key != key {
			continue
		}
		found = true
		// A later removal may have taken this entry's line break.
		e.end = min(e.end, len(f.src))
		start := e.start
		if e.end == len(f.src) && lineEnding(f.src[e.start:e.end]) == "" && start > 0 {
			// The last line had no line break: take the preceding one
			// with it, undoing what Set appended.
			start--
			if start > 0 && f.src[start-1] == '\r' {
				start--
			}
		}
		f.replace(start, e.end, "")
	}
	if !found {
		return false, nil
	}
	return true, f.reparse()
}

func (f *File) replace(start, end int, with string) {
	out := make([]byte, 0, len(f.src)-(end-start)+len(with))
	out = append(out, f.src[:start]...)
	out = append(out, with...)
	out = append(out, f.src[end:]...)
	f.src = out
}

func (f *File) reparse() error {
	g, err := Parse(f.src)
	if err != nil {
		return fmt.Errorf("internal error: edited .env does not parse: %w", err)
	}
	f.entries = g.entries
	return nil
}

// lineBreak returns the line break the file uses: "\r\n" when its first
// line ends so, else "\n".
func (f *File) lineBreak() string {
	if i := bytes.IndexByte(f.src, '\n'); i > 0 && f.src[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

func lineEnding(b []byte) string {
	switch {
	case bytes.HasSuffix(b, []byte("\r\n")):
		return "\r\n"
	case bytes.HasSuffix(b, []byte("\n")):
		return "\n"
	}
	return ""
}

// checkKey reports whether key is a valid variable name.
func checkKey(key string) error {
	if key == "" {
		return errors.New("empty variable name")
	}
	for i, c := range key {
		if c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return fmt.Errorf("invalid variable name %q: use letters, digits and _, not starting with a digit", key)
	}
	return nil
}

// quote renders value so that Parse reads it back unchanged: bare when it
// is made of safe characters, else single-quoted when it can be, else
// double-quoted with escapes.
func quote(value string) string {
	safe := value != ""
	for _, c := range value {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.,/:@+%^~", c)) {
			safe = false
			break
		}
	}
	if safe {
		return value
	}
	if !strings.ContainsAny(value, "'\n\r") {
		return "'" + value + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(value); i++ {
		switch c := value[i]; c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '$':
			b.WriteString(`\$`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// parseLine parses the logical line that starts at pos. It returns the
// assignment found (key "" for none), where the next line starts, and how
// many physical lines it spanned.
func parseLine(src []byte, pos int) (e entry, next, lines int, err error) {
	end := pos
	for end < len(src) && src[end] != '\n' {
		end++
	}
	lineEnd := end
	if end < len(src) {
		end++ // the '\n'
	}
	e.start = pos
	e.end = end
	lines = 1

	i := pos
	skipBlank := func() {
		for i < lineEnd && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
	}
	skipBlank()
	if i >= lineEnd || src[i] == '#' || src[i] == '\r' {
		return entry{}, end, 1, nil
	}
	if bytes.HasPrefix(src[i:lineEnd], []byte("export ")) || bytes.HasPrefix(src[i:lineEnd], []byte("export\t")) {
		i += len("export ")
		skipBlank()
	}
	k := i
	for i < lineEnd && (src[i] == '_' || src[i] >= 'A' && src[i] <= 'Z' || src[i] >= 'a' && src[i] <= 'z' || i > k && src[i] >= '0' && src[i] <= '9') {
		i++
	}
	key := string(src[k:i])
	skipBlank()
	if key == "" || i >= lineEnd || src[i] != '=' {
		// Not an assignment: kept, ignored.
		return entry{}, end, 1, nil
	}
	i++
	skipBlank()
	e.key = key

	if i < len(src) && (src[i] == '"' || src[i] == '\'') {
		q := src[i]
		var b strings.Builder
		j := i + 1
		for ; j < len(src); j++ {
			c := src[j]
			if c == q {
				break
			}
			if c == '\n' {
				lines++
			}
			if q == '"' && c == '\\' && j+1 < len(src) {
				j++
				switch src[j] {
				case 'n':
					b.WriteByte('\n')
				case 'r':
					b.WriteByte('\r')
				case 't':
					b.WriteByte('\t')
				case '"', '\\', '$':
					b.WriteByte(src[j])
				default:
					b.WriteByte('\\')
					b.WriteByte(src[j])
				}
				if src[j] == '\n' {
					lines++
				}
				continue
			}
			b.WriteByte(c)
		}
		if j >= len(src) {
			return entry{}, 0, 0, fmt.Errorf("%s: the quoted value has no closing %c", key, q)
		}
		e.value = b.String()
		// The logical line runs to the end of the physical line holding
		// the closing quote; what follows it there is a comment or junk.
		end = j + 1
		for end < len(src) && src[end] != '\n' {
			end++
		}
		if end < len(src) {
			end++
		}
		e.end = end
		return e, end, lines, nil
	}

	v := src[i:lineEnd]
	if c := bytes.IndexByte(v, '#'); c >= 0 && (c == 0 || v[c-1] == ' ' || v[c-1] == '\t') {
		v = v[:c]
	}
	e.value = strings.TrimRight(string(v), " \t\r")
	return e, end, 1, nil
}
