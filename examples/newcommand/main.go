// Command newcommand shows how a new elmo command gets its telemetry.
//
// Every elmo command gets a span named cli_<command> with its exit_code,
// without a line of tracing code in the command: the CLI starts the span
// before the command runs and ends it after. This program does so with
// inSpan, a dozen lines you can copy; elmo's own runner does the same for
// every command of its tree, and also records a run stopped by a bad flag.
// A command that wants to report more adds attributes to that span with
// trace.SpanFromContext(cmd.Context()).SetAttributes, and declares them
// in the event catalog; an attribute that is not declared there, such as
// a file path, never leaves the process.
//
// This program has two commands: "hello", which only gets the automatic
// span, and "export", which declares a cli_export entry with a format
// property and sets both format (declared: sent) and output_path (not
// declared: dropped). Run it with
//
//	go run ./examples/newcommand                 # export --format csv
//	go run ./examples/newcommand hello
//	go run ./examples/newcommand export --format json --out /tmp/report.json
//
// With ELMO_POSTHOG_HOST unset it prints each event on stderr, as
// ELMO_TELEMETRY_DEBUG=1 does, and sends nothing. With ELMO_POSTHOG_HOST
// and ELMO_POSTHOG_KEY set it sends the events there. It keeps its
// config.json (the consent choice and install ID) in a temporary
// directory, so it never touches yours.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/otelsetup"
	"github.com/elmohq/telemetry/processors"
)

// tracerName is the instrumentation scope of this program's spans.
const tracerName = "github.com/elmohq/telemetry/examples/newcommand"

// Attributes the export command sets on its span.
const (
	// formatKey is declared in exportEvent: it is sent.
	formatKey = attribute.Key("format")
	// outputPathKey is not declared anywhere: it is dropped.
	outputPathKey = attribute.Key("output_path")
)

// formats are the values format may take.
var formats = []string{"csv", "json"}

// exportEvent is the catalog entry of the export command. In Elmo it
// goes in the catalog in catalog/events.go, next to cli_init; here it is
// added to a copy of the catalog, so that the example runs unchanged. An
// entry with the full name cli_export takes precedence over the cli_
// prefix entry that covers every other command.
var exportEvent = catalog.Event{
	Name:        "cli_export",
	Kind:        catalog.KindSpan,
	Source:      catalog.SourceCLI,
	Description: "One elmo export run: which file format was chosen.",
	Properties: []catalog.Property{
		{Key: catalog.KeyExitCode, Type: catalog.TypeInt, Description: "Exit code of the command: 0 on success."},
		{Key: formatKey, Type: catalog.TypeString, Values: formats, Description: "Format of the exported file."},
	},
}

// Exit codes, as elmo's: 1 for a failed command, 2 for a usage error.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks an error as a mistake in the command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// exitCode returns the exit code of a command that returned err.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, new(usageError)):
		return exitUsage
	default:
		return exitFailure
	}
}

// inSpan makes cmd run in a span of its own, named cli_<command>, that
// ends with the command's exit_code and, on failure, an error status
// (sent as success=false). It returns cmd.
func inSpan(cmd *cobra.Command) *cobra.Command {
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx, span := otel.Tracer(tracerName).Start(cmd.Context(), catalog.EventCLIPrefix+cmd.Name())
		defer span.End()
		cmd.SetContext(ctx)
		err := run(cmd, args)
		span.SetAttributes(catalog.KeyExitCode.Int(exitCode(err)))
		if err != nil {
			span.SetStatus(codes.Error, "command failed")
		}
		return err
	}
	return cmd
}

// exitBudget bounds the work of telemetry at exit: writing the spool.
const exitBudget = 10 * time.Second

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"export", "--format", "csv"}
	}
	getenv, debug := exampleEnv(getenv)
	if debug {
		fmt.Fprintln(stdout, "ELMO_POSTHOG_HOST is not set: each event is printed on stderr (ELMO_TELEMETRY_DEBUG=1), nothing is sent.")
	}

	// A config.json that records consent, in a directory of its own.
	dir, err := os.MkdirTemp("", "elmo-example-")
	if err != nil {
		fmt.Fprintf(stderr, "newcommand: %v\n", err)
		return exitFailure
	}
	defer os.RemoveAll(dir)
	configPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(configPath, []byte(`{"telemetryDisabled": false}`+"\n"), 0o600); err != nil {
		fmt.Fprintf(stderr, "newcommand: %v\n", err)
		return exitFailure
	}

	policy, err := processors.NewPolicy(append(catalog.Events(), exportEvent),
		// Without the resource attributes no event could be keyed.
		processors.WithResourceAttributes(catalog.Resource()...))
	if err != nil {
		fmt.Fprintf(stderr, "newcommand: %v\n", err)
		return exitFailure
	}

	// Telemetry starts before the command runs, so that its span is
	// recorded.
	opts := []otelsetup.Option{
		otelsetup.WithRole(otelsetup.RoleCLI),
		otelsetup.WithServiceName(catalog.ServiceCLI),
		otelsetup.WithConfigPath(configPath),
		// The spool, where a command leaves its events for the sender,
		// lives with config.json, not in your state directory.
		otelsetup.WithSpoolPath(filepath.Join(dir, "telemetry-spool.jsonl")),
		otelsetup.WithGetenv(getenv),
		otelsetup.WithPolicy(policy),
		otelsetup.WithStderr(stderr),
		otelsetup.WithExitBudget(exitBudget),
	}
	tel, err := otelsetup.Start(ctx, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "newcommand: telemetry is off: %v\n", err)
	} else {
		fmt.Fprintf(stdout, "Telemetry: %s (%s); events go to %s.\n",
			map[bool]string{true: "on", false: "off"}[tel.Enabled()], tel.Decision().Reason, tel.Exporter())
	}

	root := rootCommand(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(err)
	if err != nil {
		fmt.Fprintf(stderr, "newcommand: %v\n", err)
	}
	if cmd != nil && cmd.HasParent() {
		fmt.Fprintf(stdout, "The command ran in the span %s, which ended with exit_code=%d.\n",
			catalog.EventCLIPrefix+cmd.Name(), code)
	}
	if tel != nil {
		if debug && tel.Enabled() {
			fmt.Fprintln(stdout, "Shutting telemetry down; the event it sends follows on stderr.")
		}
		if err := tel.Shutdown(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(stderr, "newcommand: delivering telemetry: %v\n", err)
		}
		// A command writes its events to the spool and never waits on the
		// network: elmo starts its background sender with
		// otelsetup.WithSenderCommand, and answers otelsetup.SenderArg
		// by calling RunSender. This example has no background: it runs
		// the sender itself, and waits until the events are delivered.
		if err := otelsetup.RunSender(context.WithoutCancel(ctx), opts...); err != nil {
			fmt.Fprintf(stderr, "newcommand: delivering telemetry: %v\n", err)
		}
	}
	return code
}

// exampleEnv returns the variables the pipeline reads: getenv, plus
// ELMO_TELEMETRY_DEBUG=1 when no PostHog host is set, so that running
// the example never sends anything anywhere unless asked to.
func exampleEnv(getenv func(string) string) (func(string) string, bool) {
	if getenv(otelsetup.VarPostHogHost) != "" {
		return getenv, false
	}
	return func(key string) string {
		if key == otelsetup.VarTelemetryDebug {
			return "1"
		}
		return getenv(key)
	}, true
}

// rootCommand builds the command tree: a root, as in cmd/elmo, and the
// two example commands.
func rootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "newcommand",
		Short:         "Shows how a new command gets its telemetry",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(inSpan(helloCommand()), inSpan(exportCommand()))
	return root
}

// helloCommand has no telemetry code at all: inSpan gives it the span
// cli_hello with exit_code, which the cli_ prefix entry of the catalog
// allows.
func helloCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "hello",
		Short: "Say hello (telemetry: the automatic cli_hello span)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "Hello. This command has no telemetry code; its span is cli_hello.")
			return nil
		},
	}
}

// exportCommand writes a small report and adds two attributes to its
// span: format, declared in exportEvent, and output_path, which is not.
func exportCommand() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export a report (telemetry: cli_export with its format)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !validFormat(format) {
				return usageError{fmt.Errorf("--format must be csv or json, not %q", format)}
			}
			if out == "" {
				dir, err := os.MkdirTemp("", "elmo-export-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				out = filepath.Join(dir, "report."+format)
			}
			if err := writeReport(out, format); err != nil {
				return err
			}

			// The span inSpan started for this command.
			span := trace.SpanFromContext(cmd.Context())
			span.SetAttributes(
				formatKey.String(format), // in the catalog: sent
				//catalogcheck:ignore not in the catalog: dropped, as this example shows
				outputPathKey.String(out),
			)
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Wrote %s.\n", out)
			fmt.Fprintf(w, "Span attributes set: %s=%s (in the catalog: sent) and %s=%s (not in the catalog: dropped).\n",
				formatKey, format, outputPathKey, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "csv", "file format: csv or json")
	cmd.Flags().StringVar(&out, "out", "", "file to write (default: a temporary file)")
	return cmd
}

func validFormat(f string) bool {
	for _, v := range formats {
		if f == v {
			return true
		}
	}
	return false
}

// writeReport writes an empty report in format to path.
func writeReport(path, format string) error {
	content := "brand,mentions\n"
	if format == "json" {
		content = "[]\n"
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}
