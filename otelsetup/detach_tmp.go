package otelsetup

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// startDetached starts path with args in a session of its own, its
// standard streams on the null device, and does not wait for it.
func startDetached(path string, args []string) (int, error) {
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errSenderStart, err)
	}
	defer null.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("%w: %w", errSenderStart, err)
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	return pid, nil
}
