package commands

import (
	"github.com/elmohq/telemetry/catalog"
	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

var export = &cobra.Command{
	Use: "export <file>",
	RunE: func(cmd *cobra.Command, _ []string) error {
		span := trace.SpanFromContext(cmd.Context())
		span.SetAttributes(
			catalog.KeyExitCode.Int(0),
			catalog.KeyPostgresMode.String("embedded"), // want `attribute "postgres_mode" is not allowed on the span of command "export", so it is dropped: add catalog entry cli_export \(catalog.Event\{Name: "cli_export", Kind: catalog.KindSpan, ...\}\) with catalog.Property\{Key: "postgres_mode", ...\} to catalog/events.go \(catalog entry cli_<command> allows exit_code\)`
		)
		return nil
	},
}

var initCmd = &cobra.Command{
	Use: "init",
	RunE: func(cmd *cobra.Command, _ []string) error {
		trace.SpanFromContext(cmd.Context()).SetAttributes(
			catalog.KeyPostgresMode.String("embedded"),
			catalog.KeyFailedStep.String("compile"), // want `value "compile" of attribute "failed_step" is not one of its values in catalog entry cli_init`
			attribute.String("dir", "x"),            // want `attribute "dir" is not allowed on the span of command "init", so it is dropped: add catalog.Property\{Key: "dir", ...\} to catalog entry cli_init in catalog/events.go`
		)
		return nil
	},
}

var badName = &cobra.Command{
	Use: "Export.CSV", // want `command "Export.CSV" gets the span name cli_…export.csv, which catalog entry cli_<command> does not match`
}

var dashed = &cobra.Command{Use: "dry-run"} // dashes become underscores: not reported
