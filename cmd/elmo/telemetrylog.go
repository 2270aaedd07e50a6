package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/elmohq/telemetry/internal/pipeline/sentlog"
)

func (a *app) telemetryLogCommand() *cobra.Command {
	var asJSON, deploymentLog bool
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Show the telemetry events this machine sent, exactly as they went",
		Long: `Show the telemetry events this machine sent to PostHog, exactly as they
went on the wire, and those dropped, with the reason; newest last. The CLI
keeps its record in $XDG_STATE_HOME/elmo/telemetry-log.jsonl (default
~/.local/state/elmo/). A deployment's web app and worker keep theirs in
the deployment directory: --dir D, or --deployment for the default
directory, shows it. Each record holds at most the last few hundred
events and 256 KiB. 'elmo telemetry disable' deletes them. The newsletter
signup is never recorded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := a.sentLogPath(deploymentLog || cmd.Flags().Changed("dir"))
			if err != nil {
				return err
			}
			recs, err := sentlog.Read(path)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				// One record a line, its event byte for byte as sent.
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				for _, r := range recs {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
				return nil
			}
			return writeSentLog(out, path, recs)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the records as JSON, one a line (JSON Lines)")
	cmd.Flags().BoolVar(&deploymentLog, "deployment", false, "show the record of the deployment's web app and worker")
	return cmd
}

// sentLogPath returns the path of the CLI's record, or with deployment
// that of the deployment in the deployment directory.
func (a *app) sentLogPath(deployment bool) (string, error) {
	if deployment {
		dir, err := a.deploymentDir()
		if err != nil {
			return "", err
		}
		return sentlog.DeploymentPath(dir), nil
	}
	return sentlog.DefaultPath(a.getenv)
}

// writeSentLog prints each record on a line of its own (time, outcome,
// event name, UUID, and for a drop the reason), followed by the event's
// JSON, indented.
func writeSentLog(w io.Writer, path string, recs []sentlog.Record) error {
	if len(recs) == 0 {
		_, err := fmt.Fprintf(w, "No telemetry events recorded in %s.\n", path)
		return err
	}
	fmt.Fprintf(w, "%d telemetry events recorded in %s, newest last:\n", len(recs), path)
	for _, r := range recs {
		line := fmt.Sprintf("%s  %-7s  %s  %s", r.Time.Format("2006-01-02 15:04:05Z"), r.Outcome, r.Name, r.UUID)
		if r.Reason != "" {
			line += "  (" + r.Reason + ")"
		}
		if _, err := fmt.Fprintf(w, "\n%s\n  %s\n", line, strings.TrimSpace(string(r.Event))); err != nil {
			return err
		}
	}
	return nil
}
