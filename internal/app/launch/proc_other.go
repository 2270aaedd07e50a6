//go:build !unix

package launch

import (
	"os"
	"syscall"
)

// terminate stops p. Without signals, that is killing it.
func terminate(p *os.Process) error { return p.Kill() }

// endedByStopSignal reports whether err says the process was ended by
// terminate: there is no telling it from a crash without signals.
func endedByStopSignal(error) bool { return false }

// alive reports whether a process with pid exists.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

func foregroundAttr() *syscall.SysProcAttr { return nil }

func backgroundAttr() *syscall.SysProcAttr { return nil }
