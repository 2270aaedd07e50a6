package launch_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/elmohq/telemetry/internal/app/launch"
)

// Environment shows what the services get: the .env over the parent
// environment, except that an opt-out in the parent stays.
func ExampleEnvironment() {
	dir, _ := os.MkdirTemp("", "elmo")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, ".env"), []byte("WEB_PORT=4000\nDO_NOT_TRACK=0\n"), 0o600)

	env, err := launch.Environment(dir, []string{"WEB_PORT=3000", "DO_NOT_TRACK=1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	last := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		last[k] = v
	}
	fmt.Println("WEB_PORT=" + last["WEB_PORT"])
	fmt.Println("DO_NOT_TRACK=" + last["DO_NOT_TRACK"])
	// Output:
	// WEB_PORT=4000
	// DO_NOT_TRACK=1
}
