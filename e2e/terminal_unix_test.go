//go:build unix

package e2e

import "syscall"

// controllingTerminal makes the child the leader of a new session whose
// controlling terminal is its standard input, as a shell does for the
// command a person types.
func controllingTerminal() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Setctty: true}
}
