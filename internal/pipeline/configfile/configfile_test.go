package configfile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/elmohq/telemetry/internal/pipeline/configfile"
)

// The test binary re-executes itself as a helper process to race real OS
// processes against one config file. The helper's job is named by
// helperEnv; it waits for its standard input to close before starting, so
// that all helpers start together.
const (
	helperEnv     = "ELMO_CONFIGFILE_HELPER"
	helperPathEnv = "ELMO_CONFIGFILE_HELPER_PATH"
	helperIndex   = "ELMO_CONFIGFILE_HELPER_INDEX"
)

func TestMain(m *testing.M) {
	if job := os.Getenv(helperEnv); job != "" {
		os.Exit(runHelper(job))
	}
	os.Exit(m.Run())
}

func runHelper(job string) int {
	_, _ = io.Copy(io.Discard, os.Stdin) // the start signal
	store := configfile.New(os.Getenv(helperPathEnv))
	ctx := context.Background()
	switch job {
	case "install-id":
		id, err := store.InstallID(ctx, true)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(id)
	case "flip":
		me := "child" + os.Getenv(helperIndex)
		for i := range 10 {
			_, err := store.Update(ctx, func(s *configfile.Settings) error {
				disabled := i%2 == 0
				s.TelemetryDisabled = &disabled
				return nil
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if err := checkFile(store.Path()); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		// Each child leaves a mark of its own. A lost update would lose a
		// mark, since every child writes while the others are writing.
		if err := setOther(ctx, store, me); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown helper job", job)
		return 2
	}
	return 0
}

// setOther records key=true in config.json by rewriting it through the
// store's lock. Keys Elmo does not own have no setter, so this goes
// through the raw JSON while holding the lock via Update.
func setOther(ctx context.Context, store *configfile.Store, key string) error {
	_, err := store.Update(ctx, func(s *configfile.Settings) error {
		return configfile.SetOtherForTest(s, key, json.RawMessage("true"))
	})
	return err
}

// checkFile asserts that config.json is valid JSON with the unknown keys
// the flip test starts with.
func checkFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("invalid JSON after a write: %v: %q", err, data)
	}
	if m["theme"] != "dark" {
		return fmt.Errorf("unknown key theme lost: %q", data)
	}
	if _, ok := m["nested"].(map[string]any); !ok {
		return fmt.Errorf("unknown key nested lost: %q", data)
	}
	return nil
}

// startHelpers starts n helper processes running job against path, lets
// them go at once, and returns their outputs.
func startHelpers(t *testing.T, n int, job, path string) []string {
	t.Helper()
	type proc struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bytes.Buffer
		err   *bytes.Buffer
	}
	procs := make([]proc, n)
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+job, helperPathEnv+"="+path, helperIndex+"="+strconv.Itoa(i))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = proc{cmd, stdin, &out, &errb}
	}
	for _, p := range procs {
		_ = p.stdin.Close()
	}
	outs := make([]string, n)
	for i, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v: %s", i, err, p.err)
		}
		outs[i] = strings.TrimSpace(p.out.String())
	}
	return outs
}

func TestRacingFirstRunsAgreeOnOneInstallID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "elmo", "config.json")
	ids := startHelpers(t, 20, "install-id", path)

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("config.json is not valid JSON: %v: %q", err, data)
	}
	stored, _ := m["telemetryId"].(string)
	u, err := uuid.Parse(stored)
	if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 {
		t.Fatalf("telemetryId %q is not a UUID v4 (%v)", stored, err)
	}
	for i, id := range ids {
		if id != stored {
			t.Errorf("process %d saw install ID %q, file has %q", i, id, stored)
		}
	}
	if runtime.GOOS != "windows" {
		assertMode(t, path, 0o600)
		assertMode(t, filepath.Dir(path), 0o700|os.ModeDir)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

func TestConcurrentEnableDisableKeepsFileValidAndUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "elmo", "config.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	initial := `{"theme": "dark", "nested": {"a": [1, 2, {"b": null}]}, "telemetryDisabled": false}`
	if err := os.WriteFile(path, []byte(initial), 0o600); err != nil {
		t.Fatal(err)
	}

	// Read the file continuously while the writers run: a reader must
	// never see a torn or partial file.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var readerErr error
	var reads int
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := checkFile(path); err != nil {
				readerErr = err
				return
			}
			reads++
		}
	})
	startHelpers(t, 20, "flip", path)
	close(stop)
	wg.Wait()
	if readerErr != nil {
		t.Fatal(readerErr)
	}
	if reads == 0 {
		t.Fatal("the reader never read the file")
	}
	if err := checkFile(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	for i := range 20 {
		if m["child"+strconv.Itoa(i)] != true {
			t.Errorf("the write of child%d was lost: %s", i, data)
		}
	}
	if m["nested"].(map[string]any)["a"].([]any)[2].(map[string]any)["b"] != nil {
		t.Errorf("nested unknown value changed: %s", data)
	}
}

func TestUnreadableConfigIsNeverRewritten(t *testing.T) {
	tests := []struct {
		name    string
		content string // written as config.json; "<dir>" makes it a directory
		want    string // in the error
	}{
		{"malformed JSON", `{"telemetryId": "abc",`, "malformed"},
		{"not an object", `[1, 2]`, "malformed"},
		{"null", `null`, "not a JSON object"},
		{"wrong type for telemetryDisabled", `{"telemetryDisabled": "yes"}`, "telemetryDisabled"},
		{"wrong type for notice version", `{"telemetryNoticeVersion": "one"}`, "telemetryNoticeVersion"},
		{"install ID not a UUID", `{"telemetryId": "me@example.com"}`, "not a UUID"},
		{"directory in the way", "<dir>", "is a directory"},
		// A duplicate key is read differently by different readers:
		// encoding/json keeps the last value, so this one would read as
		// "on" although it also says "off".
		{"duplicate telemetryDisabled", `{"telemetryDisabled": true, "telemetryDisabled": false}`, `"telemetryDisabled" appears more than once`},
		{"duplicate with the same value", `{"telemetryDisabled": true, "telemetryDisabled": true}`, "more than once"},
		{"duplicate install ID", `{"telemetryId": "9b2f1c8e-0c2d-4c4e-8f5a-3f3c1f2b9a10", "telemetryId": "1b2f1c8e-0c2d-4c4e-8f5a-3f3c1f2b9a10"}`, "telemetryId"},
		{"duplicate unknown key", `{"theme": "dark", "theme": "light"}`, `"theme"`},
		{"duplicate spelled with an escape", `{"telemetryDisabled": false, "telemetry\u0044isabled": true}`, "more than once"},
		{"duplicate in a nested object", `{"ui": {"a": 1, "b": {"c": 1, "c": 2}}}`, `"ui.b.c"`},
		{"duplicate in an object in an array", `{"list": [1, {"x": 1, "x": 1}]}`, `"list[1].x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if tt.content == "<dir>" {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			store := configfile.New(path)
			ctx := context.Background()

			_, _, loadErr := store.Load()
			_, idErr := store.InstallID(ctx, true)
			_, setErr := store.SetTelemetryDisabled(ctx, true)
			for _, err := range []error{loadErr, idErr, setErr} {
				if err == nil {
					t.Fatal("no error for an unreadable config")
				}
				if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q does not name the path and %q", err, tt.want)
				}
			}
			if tt.content != "<dir>" {
				got, _ := os.ReadFile(path)
				if string(got) != tt.content {
					t.Errorf("file changed to %q", got)
				}
			}
		})
	}
}

func TestSameKeyInDifferentObjectsIsNotADuplicate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	content := `{"telemetryDisabled": true, "a": {"telemetryDisabled": 1}, "b": [{"x": 1}, {"x": 2}], "x": {"x": {"x": 0}}}`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, err := configfile.New(path).Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.TelemetryDisabled == nil || !*s.TelemetryDisabled {
		t.Errorf("telemetryDisabled = %v, want true", s.TelemetryDisabled)
	}
}

func TestUnwritableDirectoryGivesErrorNamingPath(t *testing.T) {
	// Permission bits do not stop root, as CI runs the tests: a file
	// where the directory should be stops every user.
	for _, tc := range []struct {
		name    string
		blocker string // relative to the temporary directory; a file
		path    string // of config.json, relative to the same
	}{
		{"config directory is a file", "elmo", "elmo/config.json"},
		{"its parent is a file", "xdg", "xdg/elmo/config.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.blocker), []byte("not a directory"), 0o600); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.path)
			_, err := configfile.New(path).InstallID(context.Background(), true)
			if err == nil || !strings.Contains(err.Error(), filepath.Dir(path)) {
				t.Fatalf("got %v, want an error naming %s", err, filepath.Dir(path))
			}
		})
	}
}

func TestReadOnlyFileGivesErrorAndStaysIntact(t *testing.T) {
	// A read-only directory stops the rename even for root, unlike file
	// permission bits; use a directory we cannot write by making the
	// config path's parent a file instead.
	dir := t.TempDir()
	blocker := filepath.Join(dir, "elmo")
	if err := os.WriteFile(blocker, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(blocker, "config.json")
	_, err := configfile.New(path).SetTelemetryDisabled(context.Background(), true)
	if err == nil || !strings.Contains(err.Error(), blocker) {
		t.Fatalf("got %v, want an error naming %s", err, blocker)
	}
	got, _ := os.ReadFile(blocker)
	if string(got) != "not a directory" {
		t.Errorf("blocking file changed to %q", got)
	}
}

func TestUnknownKeysSurviveUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	in := `{"zeta": {"deep": [1, "two", 3.5e10]}, "alpha": "x", "telemetryNoticeVersion": 1}`
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	store := configfile.New(path)
	ctx := context.Background()
	if _, err := store.SetTelemetryDisabled(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := store.InstallID(ctx, true); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var got, want map[string]any
	_ = json.Unmarshal([]byte(in), &want)
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"zeta", "alpha", "telemetryNoticeVersion"} {
		if fmt.Sprint(got[k]) != fmt.Sprint(want[k]) {
			t.Errorf("key %s: got %v, want %v", k, got[k], want[k])
		}
	}
	if got["telemetryDisabled"] != false {
		t.Errorf("telemetryDisabled = %v", got["telemetryDisabled"])
	}
}

func TestInstallIDWithoutCreateWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "elmo", "config.json")
	id, err := configfile.New(path).InstallID(context.Background(), false)
	if err != nil || id != "" {
		t.Fatalf("got %q, %v; want no ID and no error", id, err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the config directory was created: %v", err)
	}
}

func TestUpdateSkipsWriteWhenUnchanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	in := "{\"telemetryDisabled\":true,   \"x\": 1}"
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := configfile.New(path).SetTelemetryDisabled(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != in {
		t.Errorf("an update that changed nothing rewrote the file: %q", got)
	}
}

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"XDG set", map[string]string{"XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/u"}, "/x/cfg/elmo/config.json"},
		{"XDG unset", map[string]string{"HOME": "/home/u"}, "/home/u/.config/elmo/config.json"},
		{"XDG relative is ignored", map[string]string{"XDG_CONFIG_HOME": "rel", "HOME": "/home/u"}, "/home/u/.config/elmo/config.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configfile.DefaultPath(func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got != filepath.FromSlash(tt.want) {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// A config.json kept elsewhere (a dotfiles repository) and linked into
// place stays linked: a write changes the file the link points to.
func TestSymlinkedConfigIsWrittenThroughToItsTarget(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "dotfiles", "elmo.json")
	path := filepath.Join(root, "config", "elmo", "config.json")
	for _, d := range []string{filepath.Dir(target), filepath.Dir(path)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(target, []byte(`{"theme": "dark"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "..", "dotfiles", "elmo.json"), path); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	store := configfile.New(path)
	if _, err := store.SetTelemetryDisabled(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("config.json is no longer a link: %v %v", fi.Mode(), err)
	}
	var m map[string]any
	data, _ := os.ReadFile(target)
	if err := json.Unmarshal(data, &m); err != nil || m["telemetryDisabled"] != true || m["theme"] != "dark" {
		t.Errorf("the target holds %s, want telemetryDisabled true and theme kept", data)
	}
	s, _, err := store.Load()
	if err != nil || s.TelemetryDisabled == nil || !*s.TelemetryDisabled {
		t.Errorf("Load through the link: %+v, %v", s, err)
	}
}
