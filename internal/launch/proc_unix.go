//go:build unix

package launch

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// terminate asks p to stop.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// endedByStopSignal reports whether err says the process was ended by
// the signal terminate sends.
func endedByStopSignal(err error) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}

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
