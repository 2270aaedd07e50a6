package sentlog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/internal/pipeline/sentlog"
)

func sent(i int, name string, pad int) exporter.Sent {
	id := fmt.Sprintf("00000000-0000-5000-8000-%012d", i)
	wire := fmt.Sprintf(`{"event":%q,"uuid":%q,"properties":{"pad":%q}}`, name, id, strings.Repeat("x", pad))
	return exporter.Sent{UUID: id, Wire: json.RawMessage(wire)}
}

func TestDefaultPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"XDG_STATE_HOME", map[string]string{"XDG_STATE_HOME": "/state", "HOME": "/home/u"}, "/state/elmo/telemetry-log.jsonl"},
		{"relative XDG_STATE_HOME is ignored", map[string]string{"XDG_STATE_HOME": "state", "HOME": "/home/u"}, "/home/u/.local/state/elmo/telemetry-log.jsonl"},
		{"HOME", map[string]string{"HOME": "/home/u"}, "/home/u/.local/state/elmo/telemetry-log.jsonl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sentlog.DefaultPath(func(k string) string { return tc.env[k] })
			if err != nil || got != filepath.FromSlash(tc.want) {
				t.Errorf("DefaultPath = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// Records are appended across writes and processes, newest last, exactly
// as they went on the wire; the file has mode 0600; the newsletter signup
// is never written.
func TestWriteAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "elmo", sentlog.FileName)
	for i, batch := range [][]exporter.Sent{{sent(1, "cli_init", 0), sent(2, "newsletter_signup", 0)}, {sent(3, "cli_version", 0)}} {
		l, err := sentlog.New(path)
		if err != nil {
			t.Fatal(err)
		}
		l.Add(batch, nil)
		if i == 1 {
			l.Add(nil, []exporter.Drop{{Event: exporter.Event{UUID: "00000000-0000-5000-8000-000000000004", Event: "cli_start"}, Reason: exporter.DropRefused}})
		}
		if err := l.Write(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	recs, err := sentlog.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Outcome+" "+r.Name+" "+r.Reason)
	}
	want := []string{"sent cli_init ", "sent cli_version ", "dropped cli_start " + exporter.DropRefused}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records %q, want %q", got, want)
	}
	if string(recs[0].Event) != string(sent(1, "cli_init", 0).Wire) {
		t.Errorf("record holds %s, want the wire form %s", recs[0].Event, sent(1, "cli_init", 0).Wire)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "newsletter_signup") {
		t.Errorf("the log holds the newsletter signup:\n%s", data)
	}
	if err := sentlog.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the log is still there after Remove: %v", err)
	}
}

// The newest records are kept within both caps.
func TestCaps(t *testing.T) {
	for _, tc := range []struct {
		name       string
		n, pad     int
		wantAtMost int
	}{
		{"records", sentlog.MaxRecords + 50, 0, sentlog.MaxRecords},
		{"bytes", 400, 2000, sentlog.MaxBytes / 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), sentlog.FileName)
			l, err := sentlog.New(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.n {
				l.Add([]exporter.Sent{sent(i, "cli_version", tc.pad)}, nil)
				if i%100 == 0 {
					if err := l.Write(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := l.Write(context.Background()); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			recs, _ := sentlog.Read(path)
			if fi.Size() > sentlog.MaxBytes || len(recs) > tc.wantAtMost || len(recs) == 0 {
				t.Errorf("%d records in %d bytes; want at most %d in %d bytes", len(recs), fi.Size(), tc.wantAtMost, sentlog.MaxBytes)
			}
			if last := recs[len(recs)-1].UUID; last != sent(tc.n-1, "", 0).UUID {
				t.Errorf("the newest record is %s, want the last added", last)
			}
		})
	}
}

// A file that is not only whole records (a torn last line, say), or has
// another mode than 0600, is replaced rather than appended to: the torn
// line goes, the records stay, and the mode is 0600 again.
func TestWriteRepairs(t *testing.T) {
	first := string(sent(1, "cli_init", 0).Wire)
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		wantRecords   int
	}{
		{"whole records", `{"outcome":"sent","uuid":"u1","name":"cli_init","event":` + first + "}\n", 0o600, 2},
		{"a torn last line", `{"outcome":"sent","uuid":"u1","name":"cli_init","event":` + first + "}\n" + `{"outcome":"se`, 0o600, 2},
		{"readable by others", `{"outcome":"sent","uuid":"u1","name":"cli_init","event":` + first + "}\n", 0o644, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), sentlog.FileName)
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			l, err := sentlog.New(path)
			if err != nil {
				t.Fatal(err)
			}
			l.Add([]exporter.Sent{sent(2, "cli_version", 0)}, nil)
			if err := l.Write(context.Background()); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), `{"outcome":"se`+"\n") || !strings.HasSuffix(string(data), "}\n") {
				t.Errorf("the log is not whole records:\n%s", data)
			}
			recs, _ := sentlog.Read(path)
			if len(recs) != tc.wantRecords || recs[len(recs)-1].Name != "cli_version" {
				t.Errorf("records %+v, want %d ending with cli_version", recs, tc.wantRecords)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
		})
	}
}
