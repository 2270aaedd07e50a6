//go:build unix

package deploytest

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// Gone reports whether the process pid has ended. A process that has
// exited but is not reaped yet (a zombie, which an orphan stays until
// init reaps it, and in some containers for good) has ended: it holds no
// port and runs no code.
func Gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		// Without /proc, kill's answer stands; with it, no entry means
		// the process has just been reaped.
		_, noProc := os.Stat("/proc/self/stat")
		return noProc == nil && errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X')
}
