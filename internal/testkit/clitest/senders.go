package clitest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/elmohq/telemetry/otelsetup"
)

// Senders returns the process IDs of the background senders that runs of
// this sandbox started and that are still alive (see SendersUnder).
func (s *Sandbox) Senders() []int { return SendersUnder(s.Home) }

// SendersUnder returns the process IDs of the live background senders
// whose HOME is dir or below it: elmo processes started with
// otelsetup.SenderArg. It reads /proc, so it finds none where there is no
// /proc.
func SendersUnder(dir string) []int {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range procs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("\x00"+otelsetup.SenderArg+"\x00")) {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !underHome(env, dir) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(d, "stat")); err == nil && zombie(stat) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// underHome reports whether the environment env (NUL-separated, as
// /proc/<pid>/environ holds it) has a HOME that is dir or below it.
func underHome(env []byte, dir string) bool {
	for _, kv := range bytes.Split(env, []byte{0}) {
		if home, ok := bytes.CutPrefix(kv, []byte("HOME=")); ok {
			h := string(home)
			return h == dir || strings.HasPrefix(h, dir+string(filepath.Separator))
		}
	}
	return false
}

// KillSendersUnder ends the live background senders whose HOME is dir or
// below it.
func KillSendersUnder(dir string) {
	for _, pid := range SendersUnder(dir) {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
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
func (s *Sandbox) killSenders() { KillSendersUnder(s.Home) }
