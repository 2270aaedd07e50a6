//go:build unix

package launch

import (
	"errors"
	"os"
	"syscall"
)

// terminate asks p to stop.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// alive reports whether a process with pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// foregroundAttr puts a foreground service in a process group of its own,
// so that a Ctrl-C in the terminal reaches elmo alone, which then stops
// the services in order rather than seeing them exit on their own.
func foregroundAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// backgroundAttr puts a background service in a session of its own,
// detached from the terminal.
func backgroundAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
