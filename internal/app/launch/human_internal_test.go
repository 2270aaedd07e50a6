package launch

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

func TestHumanLine(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"info with attributes",
			`time=2026-03-04T05:06:07.000Z level=INFO msg="prompt processed" provider=openai runs=2` + "\n",
			"prompt processed (provider=openai runs=2)\n"},
		{"warning with a quoted value",
			`time=2026-03-04T05:06:07.000Z level=WARN msg="telemetry unreachable" reason="dial tcp: connection refused"` + "\n",
			`warning: telemetry unreachable (reason="dial tcp: connection refused")` + "\n"},
		{"error without attributes", `time=x level=ERROR msg=stopped` + "\n", "error: stopped\n"},
		{"escaped quote", `time=x level=INFO msg="say \"hi\""` + "\n", "say \"hi\"\n"},
		{"a plain line", "elmo-web listening on http://127.0.0.1:3000\n", "elmo-web listening on http://127.0.0.1:3000\n"},
		{"key=value but not a log record", "a=b c=d\n", "a=b c=d\n"},
		{"unterminated quote", `time=x level=INFO msg="open` + "\n", `time=x level=INFO msg="open` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(humanLine([]byte(tc.in))); got != tc.want {
				t.Errorf("humanLine(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// What slog's text handler writes, the human form reads back.
func TestHumanLineReadsSlog(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Warn("capture unreachable", "reason", `refused "now"`, "dropped", 3)
	var out bytes.Buffer
	var mu sync.Mutex
	w := newPrefixWriter(&mu, &out, "elmo-worker")
	w.human = true
	if _, err := w.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	want := `worker | warning: capture unreachable (reason="refused \"now\"" dropped=3)` + "\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}
