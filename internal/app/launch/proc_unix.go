//go:build unix

package launch

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
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

// alive reports whether a process with pid runs. A process that has
// exited but is not reaped yet (a zombie: an orphan waits for init to
// reap it, and some containers' init never does) does not.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	return !zombie(pid)
}

// zombie reports whether Linux's /proc says that pid has exited; where
// there is no /proc it reports false.
func zombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X')
}

// foregroundAttr puts a foreground service in a process group of its own,
// so that a Ctrl-C in the terminal reaches elmo alone, which then stops
// the services in order rather than seeing them exit on their own.
func foregroundAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// backgroundAttr puts a background service in a session of its own,
// detached from the terminal.
func backgroundAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
