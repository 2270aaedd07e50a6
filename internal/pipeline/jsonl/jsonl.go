// Package jsonl holds what Elmo's bounded JSON Lines files (the spool of
// undelivered events, the record of what was sent) share: keeping the
// newest lines within a cap on lines and a cap on bytes.
package jsonl

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
