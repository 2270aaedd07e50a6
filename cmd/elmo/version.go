package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/resource"
)

// version is the release version, set at link time:
//
//	go build -ldflags "-X main.version=1.2.3" ./cmd/elmo
//
// When it is empty, the version comes from resource.DefaultVersion.
var version string

// buildVersion returns the version set at link time, else the one
// telemetry reports (resource.DefaultVersion), else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if v, err := resource.DefaultVersion(); err == nil {
		return v
	}
	return catalog.DevVersion
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of elmo",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "elmo %s (%s, %s/%s)\n",
				buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
