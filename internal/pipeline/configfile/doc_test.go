package configfile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/elmohq/telemetry/internal/pipeline/configfile"
)

func Example() {
	dir, _ := os.MkdirTemp("", "elmo-config")
	defer os.RemoveAll(dir)

	store := configfile.New(filepath.Join(dir, "elmo", "config.json"))
	ctx := context.Background()

	id, _ := store.InstallID(ctx, true)
	again, _ := store.InstallID(ctx, true)
	fmt.Println(id == again)

	settings, _ := store.SetTelemetryDisabled(ctx, true)
	fmt.Println(*settings.TelemetryDisabled)
	// Output:
	// true
	// true
}
