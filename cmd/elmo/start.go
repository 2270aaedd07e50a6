package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/elmohq/telemetry/internal/app/cli/runner"
	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/app/launch"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
)

// stopTimeout bounds how long `elmo stop` waits for the services before
// it kills them.
const stopTimeout = 30 * time.Second

func (a *app) startCommand() *cobra.Command {
	var detach bool
	var logFormat string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the local deployment: the web app and the worker",
		Long: `start runs elmo-web and elmo-worker with the deployment's .env as their
environment, until you press Ctrl-C, close the terminal or run
'elmo stop'; then it stops both. The services never outlive it: if elmo
start is killed, they stop on their own within a second. With --detach
they run in the background until 'elmo stop'.

One deployment runs per directory: while one runs, another 'elmo start'
for the same directory says so, with its process ID and address.

The services read DISABLE_TELEMETRY from .env when they start. Your
choice in config.json applies to them too, whatever the deployment's
directory: after 'elmo telemetry disable', or with DISABLE_TELEMETRY,
DO_NOT_TRACK or OTEL_SDK_DISABLED set, start runs them with telemetry
off even when their .env does not say so. After 'elmo telemetry
disable' or 'enable', run 'elmo start' again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := a.launchOptions(cmd)
			if err != nil {
				return err
			}
			switch logFormat {
			case "auto":
				opts.HumanLogs = a.stderrTerminal
			case "human":
				opts.HumanLogs = true
			case "structured":
			default:
				return runner.Usage(fmt.Errorf("--log-format %q is not one of auto, human, structured", logFormat))
			}
			if detach {
				services, err := launch.StartBackground(opts)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				for _, s := range services {
					fmt.Fprintf(out, "Started %s (pid %d), logging to %s\n", s.Name, s.PID, s.Log)
				}
				fmt.Fprintln(out, "Stop it with 'elmo stop'.")
				return nil
			}
			opts.Ready = func() {
				fmt.Fprintf(cmd.ErrOrStderr(), "Running the deployment in %s; press Ctrl-C to stop.\n", opts.Dir)
			}
			err = launch.Run(cmd.Context(), opts)
			if err == nil && cmd.Context().Err() != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "Stopped.")
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "run the services in the background")
	cmd.Flags().StringVar(&logFormat, "log-format", "auto",
		"how to print the services' log lines: human, structured (key=value, for log collectors), or auto: human on a terminal")
	return cmd
}

func (a *app) stopCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "Stop the deployment that 'elmo start' runs, in the foreground or the background",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := a.deploymentDir()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), stopTimeout)
			defer cancel()
			switch err := launch.Stop(ctx, dir); {
			case errors.Is(err, launch.ErrNotRunning):
				fmt.Fprintf(cmd.OutOrStdout(), "The deployment in %s is not running.\n", dir)
				return nil
			case err != nil:
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Stopped the deployment.")
			return nil
		},
	}
}

// servicesOptOut applies the CLI's consent to the services elmo start
// runs: when it is an opt-out (telemetryDisabled: true in config.json,
// an opt-out variable, or a config.json that cannot be read, which fails
// closed), it returns the assignment that turns their telemetry off and
// the reason. With no choice recorded, or telemetry on, it returns nil
// and the deployment's .env decides, as it can only turn telemetry off.
func (a *app) servicesOptOut() (env []string, why string) {
	store, err := a.configStore()
	if err != nil {
		return []string{deployment.VarDisableTelemetry + "=1"}, err.Error()
	}
	d := consent.ForCLI(a.getenv, store)
	switch {
	case !d.OptedOut():
		return nil, ""
	case d.Source == consent.SourceError:
		// The reason was shown when the CLI's telemetry started.
		return []string{deployment.VarDisableTelemetry + "=1"}, store.Path() + " cannot be understood, so no choice in it can be trusted"
	}
	return []string{deployment.VarDisableTelemetry + "=1"}, d.Reason
}

// launchOptions says where the deployment is and where its programs are:
// beside the running elmo first, else on PATH.
func (a *app) launchOptions(cmd *cobra.Command) (launch.Options, error) {
	dir, err := a.deploymentDir()
	if err != nil {
		return launch.Options{}, err
	}
	opts := launch.Options{Dir: dir, Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr()}
	if env, why := a.servicesOptOut(); env != nil {
		opts.Env = env
		fmt.Fprintf(cmd.ErrOrStderr(), "Telemetry is off for the deployment: %s.\n", why)
	}
	if exe, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		opts.BinDir = filepath.Dir(exe)
	}
	return opts, nil
}
