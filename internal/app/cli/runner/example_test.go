package runner_test

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/internal/app/cli/runner"
)

func Example() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	root := &cobra.Command{Use: "elmo", SilenceErrors: true}
	status := &cobra.Command{Use: "status", RunE: func(cmd *cobra.Command, _ []string) error {
		// A command adds its attributes to the span it runs in.
		trace.SpanFromContext(cmd.Context()).SetAttributes(attribute.Bool("verbose", false))
		return nil
	}}
	group := &cobra.Command{Use: "telemetry"}
	group.AddCommand(status)
	root.AddCommand(group)
	root.SetArgs([]string{"telemetry", "status"})

	r := runner.New(runner.WithSetup(func(context.Context) {
		// Start the telemetry pipeline here.
		otel.SetTracerProvider(tp)
	}))
	res := r.Execute(context.Background(), root)

	s := rec.Ended()[0]
	fmt.Println("exit code:", res.ExitCode)
	fmt.Println("span:", s.Name())
	for _, kv := range s.Attributes() {
		fmt.Printf("  %s = %s\n", kv.Key, kv.Value.Emit())
	}
	// Output:
	// exit code: 0
	// span: cli_telemetry_status
	//   verbose = false
	//   exit_code = 0
}
