package otelsetup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"go.opentelemetry.io/otel"

	"github.com/elmohq/telemetry/otelsetup"
)

// A program starts the pipeline once, uses the OpenTelemetry API, and
// shuts the pipeline down on the way out. Here the user has opted out, so
// the span is not recorded and nothing is sent.
func Example() {
	dir, _ := os.MkdirTemp("", "elmo-example")
	defer os.RemoveAll(dir)
	env := map[string]string{"DISABLE_TELEMETRY": "1"}

	ctx := context.Background()
	tel, err := otelsetup.Start(ctx,
		otelsetup.WithServiceName("elmo-cli"),
		otelsetup.WithConfigPath(filepath.Join(dir, "config.json")),
		otelsetup.WithGetenv(func(k string) string { return env[k] }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = tel.Shutdown(context.Background()) }()

	_, span := otel.Tracer("github.com/elmohq/elmo/cmd").Start(ctx, "cli_version")
	span.End()

	d := tel.Decision()
	fmt.Println("telemetry on:", d.Enabled, "decided by:", d.Source)
	fmt.Println("span recorded:", span.IsRecording())
	// Output:
	// telemetry on: false decided by: env DISABLE_TELEMETRY
	// span recorded: false
}
