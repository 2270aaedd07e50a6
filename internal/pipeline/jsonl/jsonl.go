// Package jsonl holds what Elmo's bounded JSON Lines files (the spool of
// undelivered events, the record of what was sent) share: keeping the
// newest lines within a cap on lines and a cap on bytes.
package jsonl

import (
	"bytes"
	"errors"
	"os"
)

// Newest returns the longest tail of lines (each ending in a newline)
// that holds at most maxLines lines and at most maxBytes bytes: the
// newest lines, when lines are oldest first.
func Newest(lines [][]byte, maxLines, maxBytes int) [][]byte {
	size, first := 0, len(lines)
	for first > 0 && len(lines)-first < maxLines && size+len(lines[first-1]) <= maxBytes {
		first--
		size += len(lines[first])
	}
	return lines[first:]
}

// AppendWithin appends fresh (lines, each ending in a newline) to the
// file at path, whose content is current, when current ends with a whole
// line and current and fresh together stay within maxLines and maxBytes;
// it reports whether it did. Appending spares a command on its way out
// the rewrite of the whole file; when AppendWithin returns false, the
// caller replaces the file with the newest lines, which also replaces a
// failed append's partial write. It creates the file with mode 0600, and
// refuses to append to a file of another mode.
func AppendWithin(path string, current []byte, fresh [][]byte, maxLines, maxBytes int) bool {
	if len(current) > 0 && current[len(current)-1] != '\n' {
		return false
	}
	size := len(current)
	for _, l := range fresh {
		size += len(l)
	}
	if bytes.Count(current, []byte{'\n'})+len(fresh) > maxLines || size > maxBytes {
		return false
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return false
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().Perm() != 0o600 {
		err = errors.New("not mode 0600")
	}
	if err == nil {
		_, err = f.Write(bytes.Join(fresh, nil))
	}
	return errors.Join(err, f.Close()) == nil
}
