//go:build unix

package lifeline

import (
	"errors"
	"os"
	"strconv"
	"syscall"
)

const supported = true

// openPipe returns the pipe at the inherited descriptor s, made
// non-blocking so that closing it ends a pending read.
func openPipe(s string) (*os.File, error) {
	fd, err := strconv.Atoi(s)
	if err != nil || fd < 3 {
		return nil, errors.New("not an inherited file descriptor")
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, errors.New("no such open file descriptor")
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return nil, errors.New("the file descriptor is not a pipe")
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "lifeline"), nil
}
