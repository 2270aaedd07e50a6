// Command off is `elmo version` with the telemetry pipeline started and
// shut down around the command, as the CLI does: run with telemetry off,
// it shows what telemetry costs a command that does not send anything.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/elmohq/telemetry/internal/testkit/startupprobe"
	"github.com/elmohq/telemetry/otelsetup"
)

func main() {
	ctx := context.Background()
	tel, err := otelsetup.Start(ctx, otelsetup.WithRole(otelsetup.RoleCLI), otelsetup.WithServiceName("elmo-cli"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root := &cobra.Command{Use: "elmo", SilenceUsage: true}
	root.AddCommand(&cobra.Command{
		Use: "version",
		Run: func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), startupprobe.Version) },
	})
	err = root.Execute()
	_ = tel.Shutdown(ctx)
	if err != nil {
		os.Exit(1)
	}
}
