// Package versioncmd mirrors cmd/elmo/version.go with an attribute the
// catalog does not allow on the cli_version span.
package versioncmd

import (
	"fmt"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use: "version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			trace.SpanFromContext(cmd.Context()).SetAttributes(attribute.String("output_path", "/tmp/v")) // want `attribute "output_path" is not allowed on the span of command "version", so it is dropped: add catalog entry cli_version`
			fmt.Println("elmo dev")
			return nil
		},
	}
}
