//go:build !unix

package main

import "syscall"

// controllingTerminal returns nil: this system has no controlling
// terminal to give a child, and newTerminal skips the tests that would
// need one, as no pseudo-terminal can be opened here either.
func controllingTerminal() *syscall.SysProcAttr {
	return nil
}
