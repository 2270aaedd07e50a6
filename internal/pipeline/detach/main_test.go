package detach_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// The tests start this test binary again as the detached program: the
// variable helperVar names what it does then, in place of running tests.
const (
	helperVar = "DETACH_TEST_HELPER"
	addrVar   = "DETACH_TEST_ADDR" // the loopback address the hold helper dials
	codeVar   = "DETACH_TEST_CODE" // the status the exit helper exits with
)

// helpers are the programs this binary can be, by the value of helperVar.
// Each returns the process's exit status. Files for one system add theirs.
var helpers = map[string]func() int{
	"exit":   exitHelper,
	"report": reportHelper,
	"hold":   holdHelper,
}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperVar); name != "" {
		helper, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "no helper %q\n", name)
			os.Exit(2)
		}
		os.Exit(helper())
	}
	goleak.VerifyTestMain(m)
}

// helperEnv is this process's environment with the helper name and the
// given variables ("key=value") added. Built with the race detector, the
// helper would pause a second on its way out, for nothing.
func helperEnv(name string, vars ...string) []string {
	return append(append(os.Environ(), helperVar+"="+name, "GORACE=atexit_sleep_ms=0"), vars...)
}

// exitHelper exits with the status in codeVar.
func exitHelper() int {
	code, err := strconv.Atoi(os.Getenv(codeVar))
	if err != nil {
		return 2
	}
	return code
}

// report is what the report helper finds about itself.
type report struct {
	Pid  int               `json:"pid"`
	Sid  int               `json:"sid"`  // Unix only
	Pgid int               `json:"pgid"` // Unix only
	FDs  map[string]string `json:"fds"`  // Linux only: each open descriptor and what it refers to
	Env  []string          `json:"env"`
	Dir  string            `json:"dir"`
}

// describe fills in what only some systems can tell; set by their files.
var describe = func(*report) {}

// reportHelper writes a report on itself, as JSON, to the file its first
// argument names: its standard streams are on the null device, where nothing
// written can be seen.
func reportHelper() int {
	if len(os.Args) < 2 {
		return 2
	}
	r := report{Pid: os.Getpid()}
	describe(&r) // first, before this process opens any file
	r.Env = os.Environ()
	dir, err := os.Getwd()
	if err != nil {
		return 3
	}
	r.Dir = dir
	data, err := json.Marshal(r)
	if err != nil {
		return 3
	}
	if err := os.WriteFile(os.Args[1], data, 0o600); err != nil {
		return 4
	}
	return 0
}

// holdHelper dials the address in addrVar, says hello with what
// describe finds (the report, without environment, on one line), and
// answers each "ping" with "pong" until the connection closes. It shows,
// by answering, that it still runs.
func holdHelper() int {
	conn, err := net.Dial("tcp", os.Getenv(addrVar))
	if err != nil {
		return 3
	}
	defer conn.Close()
	r := report{Pid: os.Getpid()}
	describe(&r)
	r.FDs = nil
	hello, err := json.Marshal(r)
	if err != nil {
		return 3
	}
	if _, err := fmt.Fprintf(conn, "%s\n", hello); err != nil {
		return 4
	}
	lines := bufio.NewScanner(conn)
	for lines.Scan() {
		if lines.Text() == "ping" {
			if _, err := fmt.Fprintln(conn, "pong"); err != nil {
				return 4
			}
		}
	}
	return 0
}
