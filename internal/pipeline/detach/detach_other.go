//go:build !unix && !windows

package detach

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
)

// start refuses: this system has no way known here to start a process
// that outlives its parent apart from the parent's process group.
func start(func() *exec.Cmd) (*exec.Cmd, error) {
	return nil, fmt.Errorf("detached processes are not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
