// Package userdir finds the directories where Elmo keeps a user's files,
// the same way on every operating system: the home directory, the config
// directory of config.json ($XDG_CONFIG_HOME/elmo, default
// ~/.config/elmo) and the state directory of the CLI's spool and sent log
// ($XDG_STATE_HOME/elmo, default ~/.local/state/elmo).
//
// Every function looks variables up with the getenv it is given (nil
// means os.Getenv), so that a caller's environment is honoured. An XDG
// variable that is not an absolute path is ignored, as the XDG Base
// Directory specification asks.
package userdir

import (
	"fmt"
	"os"
	"path/filepath"
)

// The variables of the XDG Base Directory specification that Elmo reads.
const (
	VarConfigHome = "XDG_CONFIG_HOME"
	VarStateHome  = "XDG_STATE_HOME"
)

// App is the name of Elmo's subdirectory in the config and state
// directories.
const App = "elmo"

// Home returns the home directory: HOME as getenv reads it, else the
// system's answer (os.UserHomeDir).
func Home(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if home := getenv("HOME"); home != "" {
		return home, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the home directory: %w", err)
	}
	return home, nil
}

// Config returns Elmo's config directory: $XDG_CONFIG_HOME/elmo when
// XDG_CONFIG_HOME is an absolute path, else ~/.config/elmo.
func Config(getenv func(string) string) (string, error) {
	return xdg(getenv, VarConfigHome, ".config")
}

// State returns Elmo's state directory: $XDG_STATE_HOME/elmo when
// XDG_STATE_HOME is an absolute path, else ~/.local/state/elmo.
func State(getenv func(string) string) (string, error) {
	return xdg(getenv, VarStateHome, filepath.Join(".local", "state"))
}

// xdg returns the elmo subdirectory of the directory named by the XDG
// variable v, or of the directory def under the home directory.
func xdg(getenv func(string) string, v, def string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if dir := getenv(v); filepath.IsAbs(dir) {
		return filepath.Join(dir, App), nil
	}
	home, err := Home(getenv)
	if err != nil {
		return "", fmt.Errorf("cannot find the directory of Elmo's files: %s is not set to an absolute path and %w", v, err)
	}
	return filepath.Join(home, def, App), nil
}
