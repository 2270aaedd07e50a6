// Command elmo is the Elmo command-line tool: it sets up a local
// deployment with `elmo init`, and shows and changes the telemetry choice
// with `elmo telemetry`.
//
// Every command runs inside a span named after it (cli_init,
// cli_telemetry_status, ...), recorded with the standard OpenTelemetry
// API and sent, when telemetry is on, through the pipeline that otelsetup
// builds. See `elmo telemetry events` for everything that can be sent.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/cli/runner"
	"github.com/elmohq/telemetry/internal/pipeline/configfile"
	"github.com/elmohq/telemetry/internal/pipeline/sentlog"
	"github.com/elmohq/telemetry/otelsetup"
)

// tracerName is the instrumentation scope of the CLI's spans.
const tracerName = "github.com/elmohq/telemetry/cmd/elmo"

// exitBudget bounds how long the CLI spends delivering telemetry when it
// exits.
const exitBudget = otelsetup.DefaultExitBudget

// startTimeout bounds the start of telemetry, which may wait for another
// elmo process to finish writing config.json.
const startTimeout = 2 * time.Second

func main() {
	if len(os.Args) == 2 && os.Args[1] == otelsetup.SenderArg {
		// Started by a command as the background sender of its events:
		// no terminal, no output, a deadline of its own.
		_ = otelsetup.RunSender(context.Background(), telemetryOptions(os.Getenv)...)
		return
	}
	// A closed terminal (SIGHUP) stops a command as Ctrl-C does: elmo
	// start stops its services before it exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		// After the first signal, a second Ctrl-C or SIGTERM ends the
		// process at once. A closing terminal may send SIGHUP more than
		// once, and nobody is there to want that: it is ignored.
		<-ctx.Done()
		signal.Ignore(syscall.SIGHUP)
		stop()
	}()
	a := &app{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
	}
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		a.stdinFD, a.interactive = fd, true
	}
	a.stderrTerminal = term.IsTerminal(int(os.Stderr.Fd()))
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// app is one run of the CLI: its streams, its environment and its
// telemetry.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	interactive    bool // stdin is a terminal: questions may be asked
	stderrTerminal bool // stderr is a terminal: output is read by a person
	stdinFD        int

	dirFlag string // --dir

	tel *otelsetup.Telemetry // nil until telemetry starts, and when it failed to
	// telStarted says startTelemetry ran: it runs once per process, so
	// that a failure is reported once.
	telStarted bool
	// sendNothing keeps telemetry off for this run, whatever was
	// recorded: set when `telemetry disable` or `enable` could not record
	// the choice.
	sendNothing bool
}

// run executes the command line args and returns the exit code. It shuts
// telemetry down on every path, within the exit budget.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	r := runner.New(runner.WithTracerName(tracerName), runner.WithSetup(a.startTelemetry))
	res := r.Execute(ctx, root)
	if res.Err != nil {
		a.printError(res)
	}
	a.shutdownTelemetry()
	return res.ExitCode
}

// printError tells the person what went wrong, and for a usage error
// where to read how the command is used.
func (a *app) printError(res runner.Result) {
	msg := res.Err.Error()
	if errors.Is(res.Err, context.Canceled) {
		msg = "interrupted"
	}
	fmt.Fprintf(a.stderr, "elmo: %s\n", msg)
	if res.ExitCode == runner.ExitUsage {
		path := "elmo"
		if res.Command != nil {
			path = res.Command.CommandPath()
		}
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", path)
	}
}

// startTelemetry starts the pipeline, once per process. Consent is decided
// here. A failure to start leaves telemetry off and never fails the
// command; otelsetup reports a setting it cannot use in one line.
func (a *app) startTelemetry(ctx context.Context) {
	if a.telStarted || a.sendNothing {
		return
	}
	a.telStarted = true
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	opts := append(telemetryOptions(a.getenv),
		otelsetup.WithStderr(a.stderr),
		otelsetup.WithExitBudget(exitBudget))
	if exe, err := os.Executable(); err == nil {
		opts = append(opts, otelsetup.WithSenderCommand(exe, otelsetup.SenderArg))
	}
	tel, err := otelsetup.Start(ctx, opts...)
	if err != nil {
		fmt.Fprintf(a.stderr, "elmo: telemetry is off for this run: %v\n", err)
		return
	}
	a.tel = tel
}

// telemetryOptions are the options of the pipeline that a command and
// its background sender share.
func telemetryOptions(getenv func(string) string) []otelsetup.Option {
	opts := []otelsetup.Option{
		otelsetup.WithRole(otelsetup.RoleCLI),
		otelsetup.WithServiceName(catalog.ServiceCLI),
		otelsetup.WithGetenv(getenv),
	}
	if version != "" {
		opts = append(opts, otelsetup.WithVersion(version))
	}
	if path, err := sentlog.DefaultPath(getenv); err == nil {
		opts = append(opts, otelsetup.WithSentLog(path))
	}
	return opts
}

// shutdownTelemetry flushes and stops the pipeline; otelsetup bounds the
// wait by the exit budget.
func (a *app) shutdownTelemetry() {
	if a.tel == nil {
		return
	}
	_ = a.tel.Shutdown(context.Background())
}

// telemetry returns the running pipeline, starting it when no command
// span has started it yet. It may return nil when telemetry failed to
// start.
func (a *app) telemetry(ctx context.Context) *otelsetup.Telemetry {
	a.startTelemetry(context.WithoutCancel(ctx))
	return a.tel
}

// configStore returns the store of config.json.
func (a *app) configStore() (*configfile.Store, error) {
	path, err := configfile.DefaultPath(a.getenv)
	if err != nil {
		return nil, err
	}
	return configfile.New(path), nil
}

// rootCommand builds the command tree.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "elmo",
		Short: "Set up and run a local Elmo deployment",
		Long: `elmo sets up and runs a local Elmo deployment.

Telemetry: elmo sends anonymous usage data when you allow it. See what is
collected with 'elmo telemetry events' and turn it off with
'elmo telemetry disable' or DISABLE_TELEMETRY=1.`,
		Version:       buildVersion(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetVersionTemplate("elmo {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return runner.Usage(err) })
	root.PersistentFlags().StringVar(&a.dirFlag, "dir", "",
		"deployment directory (default $ELMO_DIR, else ~/.elmo)")

	root.AddCommand(
		a.versionCommand(),
		a.initCommand(),
		a.startCommand(),
		a.stopCommand(),
		a.telemetryCommand(),
	)
	return root
}

// groupCommand returns a command that only groups subcommands: without a
// subcommand it shows its help, and an unknown subcommand is a usage
// error.
func groupCommand(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return runner.Usage(fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath()))
			}
			return cmd.Help()
		},
	}
}
