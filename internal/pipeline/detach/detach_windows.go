//go:build windows

package detach

import (
	"errors"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// flags make the child a process without a console (so closing the
// parent's console window, or a Ctrl-C or Ctrl-Break in it, does not reach
// it) that leads a process group of its own.
const flags = windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP

// start starts the command detached, and out of the parent's job object
// when the job allows it: a job that is closed, as some terminals and
// service managers close theirs, ends every process still in it. A job
// that forbids leaving makes CreateProcess fail with ERROR_ACCESS_DENIED;
// the command is then started again inside the job.
func start(command func() *exec.Cmd) (*exec.Cmd, error) {
	cmd := command()
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: flags | windows.CREATE_BREAKAWAY_FROM_JOB, HideWindow: true}
	err := cmd.Start()
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		cmd = command()
		cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: flags, HideWindow: true}
		err = cmd.Start()
	}
	if err != nil {
		return nil, err
	}
	return cmd, nil
}
