package prompt_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/elmohq/telemetry/internal/app/cli/prompt"
)

func Example() {
	p := prompt.New(strings.NewReader("\nname@example.com\n"), os.Stdout)
	share, _ := p.YesNo(context.Background(), "Share anonymous usage data?", true)
	email, _ := p.Line(context.Background(), "Email (optional):")
	fmt.Println()
	fmt.Println(share, email)
	// Output:
	// Share anonymous usage data? [Y/n] Email (optional):
	// true name@example.com
}
