package launch

import (
	"bytes"
	"strconv"
	"strings"
)

// humanLine rewrites a line written by slog's text handler, such as
//
//	time=2026-03-04T05:06:07.000Z level=WARN msg="telemetry unreachable" reason="connection refused"
//
// in the form elmo prints its own lines: the level when it is not INFO,
// the message, then the attributes as they were:
//
//	warning: telemetry unreachable (reason="connection refused")
//
// A line that does not start with time, level and msg is returned as it
// is.
func humanLine(line []byte) []byte {
	body := bytes.TrimRight(line, "\r\n")
	fields, ok := logfmt(string(body))
	if !ok || len(fields) < 3 || fields[0].key != "time" || fields[1].key != "level" || fields[2].key != "msg" {
		return line
	}
	var b strings.Builder
	switch fields[1].value {
	case "INFO":
	case "WARN":
		b.WriteString("warning: ")
	default:
		b.WriteString(strings.ToLower(fields[1].value) + ": ")
	}
	b.WriteString(fields[2].value)
	if rest := fields[3:]; len(rest) > 0 {
		b.WriteString(" (")
		for i, f := range rest {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(f.key + "=" + f.raw)
		}
		b.WriteByte(')')
	}
	b.WriteByte('\n')
	return []byte(b.String())
}

// field is one key=value pair of a logfmt line: value unquoted, raw as
// written.
type field struct {
	key, value, raw string
}

// logfmt splits a line of key=value pairs, where a value is bare or
// double-quoted with backslash escapes, as slog's text handler writes
// them. It reports false for anything else.
func logfmt(s string) ([]field, bool) {
	var out []field
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(s[:eq], " \t\"") {
			return nil, false
		}
		key := s[:eq]
		s = s[eq+1:]
		var raw, value string
		if strings.HasPrefix(s, `"`) {
			end := -1
			for i := 1; i < len(s); i++ {
				if s[i] == '\\' {
					i++
					continue
				}
				if s[i] == '"' {
					end = i
					break
				}
			}
			if end < 0 {
				return nil, false
			}
			raw = s[:end+1]
			v, err := strconv.Unquote(raw)
			if err != nil {
				return nil, false
			}
			value = v
			s = s[end+1:]
		} else {
			sp := strings.IndexByte(s, ' ')
			if sp < 0 {
				sp = len(s)
			}
			raw, value = s[:sp], s[:sp]
			s = s[sp:]
		}
		out = append(out, field{key: key, value: value, raw: raw})
		if s != "" && s[0] != ' ' {
			return nil, false
		}
		s = strings.TrimLeft(s, " ")
	}
	return out, true
}
