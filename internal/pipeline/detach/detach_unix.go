//go:build unix

package detach

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// start starts the command in a new session: the child leads a session
// and a process group of its own and has no controlling terminal, so no
// signal sent to the parent's group, and no hangup of the parent's
// terminal, reaches it.
func start(command func() *exec.Cmd) (*exec.Cmd, error) {
	closeInheritedOnExec()
	cmd := command()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// closeInheritedOnExec marks every descriptor of this process above
// standard error close-on-exec. Go opens its own descriptors so, but a
// descriptor the process inherited without the flag (a pipe a build tool
// or a test harness hands down, a make jobserver) would otherwise pass on
// to every program it starts: a detached child would hold it open for as
// long as it runs, and whoever waits for the end of that pipe would wait
// for the child. The flag stays set: Go passes descriptors to a child only
// through exec.Cmd's ExtraFiles, which does not need it cleared.
//
// The descriptors are those /dev/fd lists (Linux, macOS; FreeBSD with
// fdescfs). Where it lists none, nothing is marked.
func closeInheritedOnExec() {
	fds, err := os.ReadDir("/dev/fd")
	if err != nil {
		return
	}
	for _, e := range fds {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		// A descriptor closed since the listing, or that reading /dev/fd
		// used, gets EBADF or is Go's own and marked already: no harm.
		syscall.CloseOnExec(fd)
	}
}
