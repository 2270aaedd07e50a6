package deploytest_test

import (
	"context"
	"fmt"

	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

func ExampleLines() {
	out := deploytest.NewLines()
	go fmt.Fprint(out, "starting\nelmo-web listening on http://127.0.0.1:3000\n")
	line, err := out.WaitFor(context.Background(), "listening on")
	fmt.Println(line, err)
	// Output: elmo-web listening on http://127.0.0.1:3000 <nil>
}
