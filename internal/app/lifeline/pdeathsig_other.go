//go:build !linux

package lifeline

import "os/exec"

// setParentDeathSignal does nothing: only Linux has a parent-death
// signal; the pipe does the work elsewhere.
func setParentDeathSignal(*exec.Cmd) {}
