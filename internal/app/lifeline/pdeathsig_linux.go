package lifeline

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal asks Linux to send the service SIGTERM when the
// thread that started it ends.
func setParentDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
}
