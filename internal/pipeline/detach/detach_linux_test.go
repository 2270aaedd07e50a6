package detach_test

import (
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/elmohq/telemetry/internal/pipeline/detach"
)

// listFDs returns this process's open descriptors and what each refers
// to, from /proc, opening no file but the directory it reads (which it
// leaves out), so that it finds only what the process started with.
func listFDs() map[string]string {
	dir, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	defer syscall.Close(dir)
	var names []string
	buf := make([]byte, 4096)
	for {
		n, err := syscall.ReadDirent(dir, buf)
		if err != nil {
			return map[string]string{"error": err.Error()}
		}
		if n <= 0 {
			break
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
	fds := map[string]string{}
	for _, name := range names {
		if name == strconv.Itoa(dir) {
			continue
		}
		target, err := os.Readlink("/proc/self/fd/" + name)
		if err != nil {
			target = err.Error()
		}
		fds[name] = target
	}
	return fds
}

// The child has its standard streams on the null device and nothing else
// of its parent: not the files, sockets or pipes the parent opened, nor a
// descriptor the parent inherited without close-on-exec (as from a
// harness that hands a pipe down), which Start marks close-on-exec.
func TestNothingInherited(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "open-in-the-parent"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// A descriptor as a process inherits it: without close-on-exec.
	inherited, err := unix.Dup(int(w.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(inherited)
	if flags, err := unix.FcntlInt(uintptr(inherited), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC != 0 {
		t.Fatalf("the duplicate is close-on-exec (flags %#x, %v): the test cannot show what it means to", flags, err)
	}

	// The child's Go runtime keeps the cgroup files it reads CPU limits
	// from open; this keeps it from opening them, so that the child has
	// only what it got from its parent.
	got := runReport(t, detach.WithEnv(helperEnv("report", "GODEBUG=containermaxprocs=0,updatemaxprocs=0"))).FDs
	want := map[string]string{"0": os.DevNull, "1": os.DevNull, "2": os.DevNull}
	if !maps.Equal(got, want) {
		t.Errorf("the child's open descriptors are %v, want %v", got, want)
	}
	if flags, err := unix.FcntlInt(uintptr(inherited), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("the inherited descriptor is not close-on-exec after Start (flags %#x, %v)", flags, err)
	}
}
