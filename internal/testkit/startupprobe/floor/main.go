// Command floor is `elmo version` with the least an in-process sender of
// telemetry needs linked: an HTTPS client that posts a JSON body. It
// sends nothing unless ELMO_PROBE_POST_URL is set. cmd/elmo's
// BenchmarkStartup compares its size with bare's and off's, to show how
// much of what telemetry adds to the binary any in-process delivery
// would add, and how much is the pipeline's own.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"github.com/spf13/cobra"

	"github.com/elmohq/telemetry/internal/testkit/startupprobe"
)

func main() {
	root := &cobra.Command{Use: "elmo", SilenceUsage: true}
	root.AddCommand(&cobra.Command{
		Use: "version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), startupprobe.Version)
			return post(os.Getenv("ELMO_PROBE_POST_URL"))
		},
	})
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}

// post sends one JSON event to url, when url is set.
func post(url string) error {
	if url == "" {
		return nil
	}
	body, err := json.Marshal(map[string]any{"event": "probe", "n": 1})
	if err != nil {
		return err
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
