package launch

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// prefixWriter writes each line written to it to w, prefixed with a
// service label. Lines of all the writers that share mu are written
// whole, one at a time.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix []byte
	buf    []byte
	// onLine, when set, sees each complete line, without the prefix.
	onLine func(line []byte)
	// human rewrites structured log lines for a person (see humanLine).
	human bool
}

// maxLine bounds a buffered partial line; longer lines are split.
const maxLine = 64 << 10

func newPrefixWriter(mu *sync.Mutex, w io.Writer, service string) *prefixWriter {
	if w == nil {
		w = io.Discard
	}
	label := strings.TrimPrefix(service, "elmo-")
	return &prefixWriter{mu: mu, w: w, prefix: []byte(label + strings.Repeat(" ", max(0, 6-len(label))) + " | ")}
}

// Write buffers p and writes every complete line.
func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			if len(p.buf) >= maxLine {
				i = len(p.buf) - 1
			} else {
				break
			}
		}
		// The services' output is best effort: a failed write drops the
		// line rather than stopping the service.
		if p.onLine != nil {
			p.onLine(p.buf[:i+1])
		}
		_ = p.writeLine(p.buf[:i+1])
		p.buf = p.buf[i+1:]
	}
	if len(p.buf) == 0 {
		p.buf = nil
	}
	return len(b), nil
}

// flush writes what remains of a last line without a line break.
func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		_ = p.writeLine(append(p.buf, '\n'))
		p.buf = nil
	}
}

func (p *prefixWriter) writeLine(line []byte) error {
	if p.human {
		line = humanLine(line)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.w.Write(append(append([]byte(nil), p.prefix...), line...))
	return err
}
