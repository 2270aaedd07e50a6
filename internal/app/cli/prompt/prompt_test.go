package prompt_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/internal/app/cli/prompt"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestYesNo(t *testing.T) {
	tests := []struct {
		input string
		def   bool
		want  bool
		asked int // how many times the question was asked
	}{
		{"\n", true, true, 1},
		{"\n", false, false, 1},
		{"y\n", false, true, 1},
		{"YES\n", false, true, 1},
		{" n \n", true, false, 1},
		{"maybe\nno\n", true, false, 2},
		{"no", true, false, 1}, // no final line break
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			var out strings.Builder
			p := prompt.New(strings.NewReader(tt.input), &out)
			got, err := p.YesNo(context.Background(), "Share?", tt.def)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("YesNo = %v, want %v", got, tt.want)
			}
			if n := strings.Count(out.String(), "Share?"); n != tt.asked {
				t.Errorf("asked %d times, want %d:\n%s", n, tt.asked, out.String())
			}
		})
	}
}

func TestEndOfInput(t *testing.T) {
	p := prompt.New(strings.NewReader(""), io.Discard)
	if _, err := p.YesNo(context.Background(), "Share?", true); !errors.Is(err, prompt.ErrNoInput) {
		t.Errorf("err = %v, want ErrNoInput: an ended input is not a yes", err)
	}
}

func TestLinesInOrder(t *testing.T) {
	p := prompt.New(strings.NewReader("first\n  second  \n"), io.Discard)
	for _, want := range []string{"first", "second"} {
		got, err := p.Line(context.Background(), "? ")
		if err != nil || got != want {
			t.Errorf("Line = %q, %v; want %q", got, err, want)
		}
	}
	// Without a terminal, a secret is read as a line.
	if _, err := p.Secret(context.Background(), "key: "); !errors.Is(err, prompt.ErrNoInput) {
		t.Errorf("Secret at end of input: err = %v, want ErrNoInput", err)
	}
}

func TestCancelInterruptsAWaitingQuestion(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	p := prompt.New(r, io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Line(ctx, "? "); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The pending read delivers its line to the next question.
	go func() { _, _ = io.WriteString(w, "late\n") }()
	got, err := p.Line(context.Background(), "? ")
	if err != nil || got != "late" {
		t.Errorf("Line after cancel = %q, %v; want late", got, err)
	}
}
