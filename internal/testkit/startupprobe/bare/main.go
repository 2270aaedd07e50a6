// Command bare is `elmo version` with no telemetry linked: the baseline
// of cmd/elmo's BenchmarkStartup.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/elmohq/telemetry/internal/testkit/startupprobe"
)

func main() {
	root := &cobra.Command{Use: "elmo", SilenceUsage: true}
	root.AddCommand(&cobra.Command{
		Use: "version",
		Run: func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), startupprobe.Version) },
	})
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
