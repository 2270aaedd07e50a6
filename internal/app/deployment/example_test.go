package deployment_test

import (
	"fmt"
	"os"

	"github.com/elmohq/telemetry/internal/app/deployment"
)

func Example() {
	dir, _ := os.MkdirTemp("", "elmo-deployment-")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(deployment.EnvPath(dir), []byte("# my deployment\nDEPLOYMENT_ID=abc\n"), 0o600)

	change, _ := deployment.SetTelemetry(dir, false)
	st, _ := deployment.ReadState(dir)
	fmt.Println(change == deployment.Changed, st.TelemetryEnabled(), st.OptOutVar)

	_, _ = deployment.SetTelemetry(dir, true)
	data, _ := os.ReadFile(deployment.EnvPath(dir))
	fmt.Print(string(data))
	// Output:
	// true false DISABLE_TELEMETRY
	// # my deployment
	// DEPLOYMENT_ID=abc
}
