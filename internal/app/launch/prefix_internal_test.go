package launch

import (
	"bytes"
	"sync"
	"testing"
)

func TestPrefixWriter(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	web := newPrefixWriter(&mu, &buf, "elmo-web")
	worker := newPrefixWriter(&mu, &buf, "elmo-worker")
	for _, s := range []string{"one\ntw", "o\n"} {
		if _, err := web.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = worker.Write([]byte("three\nfour"))
	worker.flush()
	want := "web    | one\nweb    | two\nworker | three\nworker | four\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}
