package detach_test

import (
	"fmt"
	"os"

	"github.com/elmohq/telemetry/internal/pipeline/detach"
)

// A command on its way out hands slow work to a background copy of its
// own program, then exits without waiting for it. A CLI would pass the
// subcommand that does the work, such as []string{"telemetry", "send"};
// here the program is this example's test binary, told to run nothing.
func Example() {
	self, err := os.Executable()
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := detach.Start(self, []string{"-test.run=^$"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The parent exits soon: it gives the child up rather than wait.
	if err := p.Release(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("started in the background")
	// Output: started in the background
}
