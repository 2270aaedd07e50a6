package userdir

import (
	"path/filepath"
	"testing"
)

func TestDirs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		config string
		state  string
	}{
		{"defaults", map[string]string{"HOME": "/h"}, "/h/.config/elmo", "/h/.local/state/elmo"},
		{"xdg", map[string]string{"HOME": "/h", VarConfigHome: "/c", VarStateHome: "/s"}, "/c/elmo", "/s/elmo"},
		{"relative xdg is ignored", map[string]string{"HOME": "/h", VarConfigHome: "c", VarStateHome: "s"}, "/h/.config/elmo", "/h/.local/state/elmo"},
		{"xdg without home", map[string]string{VarConfigHome: "/c", VarStateHome: "/s"}, "/c/elmo", "/s/elmo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			for _, d := range []struct {
				what string
				fn   func(func(string) string) (string, error)
				want string
			}{{"Config", Config, tc.config}, {"State", State, tc.state}} {
				got, err := d.fn(getenv)
				if err != nil {
					t.Fatalf("%s: %v", d.what, err)
				}
				if got != filepath.FromSlash(d.want) {
					t.Errorf("%s = %q, want %q", d.what, got, d.want)
				}
			}
		})
	}
}

// A getenv without HOME leaves the home directory to the system, which
// on Unix reads the process's HOME.
func TestHomeFallsBackToTheSystem(t *testing.T) {
	want := t.TempDir()
	t.Setenv("HOME", want)
	got, err := Home(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Home = %q, want the system's %q", got, want)
	}
}
