package clitest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/elmohq/telemetry/otelsetup"
)

// Senders returns the process IDs of the background senders that runs of
// this sandbox started and that are still alive: elmo processes started
// with otelsetup.SenderArg whose HOME is the sandbox's. It reads /proc, so
// it finds none where there is no /proc.
func (s *Sandbox) Senders() []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	home := []byte("HOME=" + s.Home + "\x00")
	var pids []int
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("\x00"+otelsetup.SenderArg+"\x00")) {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(append([]byte("\x00"), env...), append([]byte("\x00"), home...)) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(d, "stat")); err == nil && zombie(stat) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(d))
		if err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// zombie reports whether a /proc/<pid>/stat line is a process that has
// exited and waits to be reaped.
func zombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// WaitSenders waits until no background sender of this sandbox is alive,
// so that whatever the runs so far were to send has been sent (or given
// up on), and fails the test after WaitTimeout.
func (s *Sandbox) WaitSenders() {
	s.T.Helper()
	deadline := time.Now().Add(WaitTimeout)
	quiet := 0
	for quiet < 3 {
		if len(s.Senders()) == 0 {
			// A command lets the sender's lock go a moment before its
			// sender takes it: quiet three times in a row.
			quiet++
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			s.T.Fatalf("background senders %v still run after %v", s.Senders(), WaitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killSenders ends the background senders still alive when the test
// ends, so that none outlives its sandbox.
func (s *Sandbox) killSenders() {
	for _, pid := range s.Senders() {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
}
