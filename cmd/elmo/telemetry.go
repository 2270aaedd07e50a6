package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/cli/runner"
	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/pipeline/catalogdoc"
	"github.com/elmohq/telemetry/internal/pipeline/configfile"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
	"github.com/elmohq/telemetry/internal/pipeline/sentlog"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
	"github.com/elmohq/telemetry/otelsetup"
)

func (a *app) telemetryCommand() *cobra.Command {
	cmd := groupCommand("telemetry", "Show or change what elmo shares")
	cmd.Long = `Show or change whether elmo and your local deployment share anonymous
usage data. One choice covers both: 'elmo telemetry disable' records it
in config.json for the CLI and in the deployment's .env for the web app
and worker, and 'elmo start' applies it to any deployment it runs,
whatever its directory. Setting DISABLE_TELEMETRY=1, DO_NOT_TRACK=1 or
OTEL_SDK_DISABLED=true in an environment turns telemetry off there,
whatever was chosen.`
	cmd.AddCommand(
		a.telemetryStatusCommand(),
		a.telemetrySetCommand(false),
		a.telemetrySetCommand(true),
		a.telemetryEventsCommand(),
		a.telemetryLogCommand(),
	)
	return cmd
}

// statusReport is the output of `elmo telemetry status --json`. Its field
// names are stable for scripts.
type statusReport struct {
	Enabled     bool   `json:"enabled"`
	Source      string `json:"source"`
	Reason      string `json:"reason"`
	NoticeShown bool   `json:"noticeShown"`
	ConfigPath  string `json:"configPath"`
	InstallID   string `json:"installId"`
	Exporter    string `json:"exporter"`
	PostHogKey  bool   `json:"posthogKeyConfigured"`

	Deployment deploymentReport `json:"deployment"`
	Spool      spoolReport      `json:"spool"`
	Warnings   []string         `json:"warnings"`
	// Page is the address of the telemetry page.
	Page string `json:"page"`
}

// deploymentReport is the deployment's part of statusReport.
// TelemetryEnabled says whether the deployment sends when elmo start runs
// it from this environment; DisabledBy names what turns it off: a
// variable set in .env, else the source of the CLI's opt-out, which elmo
// start applies to the services.
type deploymentReport struct {
	Dir              string `json:"dir"`
	EnvPath          string `json:"envPath"`
	Exists           bool   `json:"exists"`
	DeploymentID     string `json:"deploymentId"`
	TelemetryEnabled bool   `json:"telemetryEnabled"`
	DisabledBy       string `json:"disabledBy"`
	DisableTelemetry bool   `json:"disableTelemetry"`
}

type spoolReport struct {
	Path   string `json:"path"`
	Events int    `json:"events"`
	Bytes  int64  `json:"bytes"`
	// Sender says whether a background sender is delivering the spool
	// now, and SenderPID is its process ID when it recorded one.
	Sender    bool `json:"senderRunning"`
	SenderPID int  `json:"senderPid,omitempty"`
}

func (a *app) telemetryStatusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether telemetry is on, why, and where it is configured",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := a.status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(rep)
			}
			return writeStatus(cmd.OutOrStdout(), rep)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

// status gathers the telemetry state without changing anything: it never
// creates an install ID, a config file or a .env.
func (a *app) status(ctx context.Context) (statusReport, error) {
	store, err := a.configStore()
	if err != nil {
		return statusReport{}, err
	}
	var rep statusReport
	rep.ConfigPath = store.Path()
	rep.Warnings = []string{}

	tel := a.telemetry(ctx)
	d := consent.ForCLI(a.getenv, store)
	rep.Enabled, rep.Source, rep.Reason = d.Enabled, string(d.Source), d.Reason
	rep.Exporter = "off"
	if tel != nil {
		td := tel.Decision()
		rep.Enabled, rep.Source, rep.Reason = td.Enabled, td.Source, td.Reason
		rep.NoticeShown = tel.NoticeShown()
		rep.Exporter = tel.Exporter()
	}
	if rep.NoticeShown {
		// The decision was made before the notice: say what happened
		// since, not that it was never shown.
		rep.Reason = "no choice is recorded in " + store.Path() +
			"; the telemetry notice was shown just now, so this run sends nothing and telemetry is on from the next run unless you disable it"
	}
	rep.Page = otelsetup.PageURL

	if settings, _, err := store.Load(); err == nil {
		rep.InstallID = settings.TelemetryID
	}
	rep.PostHogKey = otelsetup.PostHogKey(a.getenv) != ""

	dir, err := a.deploymentDir()
	if err != nil {
		return statusReport{}, err
	}
	st, err := deployment.ReadState(dir)
	if err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("cannot read the deployment's .env: %v", err))
	}
	// elmo start applies the CLI's opt-out to the services it runs, over
	// their .env.
	cliOptOut := consent.ForCLI(a.getenv, store)
	rep.Deployment = deploymentReport{
		Dir:              dir,
		EnvPath:          st.EnvPath,
		Exists:           st.Exists,
		DeploymentID:     st.DeploymentID,
		TelemetryEnabled: st.TelemetryEnabled() && !cliOptOut.OptedOut(),
		DisabledBy:       st.OptOutVar,
		DisableTelemetry: st.OptOutVar == deployment.VarDisableTelemetry,
	}
	if st.Exists && st.OptOutVar == "" && cliOptOut.OptedOut() {
		rep.Deployment.DisabledBy = string(cliOptOut.Source)
	}
	if st.Exists {
		switch {
		case explicitOptOut(d) && st.TelemetryEnabled():
			rep.Warnings = append(rep.Warnings, fmt.Sprintf(
				"telemetry is off for the CLI, and 'elmo start' runs the deployment with it off, but %s does not set DISABLE_TELEMETRY=1: its services started another way would send; run 'elmo telemetry disable' to write it there too",
				st.EnvPath))
		case d.Enabled && !st.TelemetryEnabled():
			rep.Warnings = append(rep.Warnings, fmt.Sprintf(
				"telemetry is on for the CLI but off for the deployment: %s sets %s; run 'elmo telemetry enable' to turn it on there too, or 'elmo telemetry disable' to turn it off for the CLI",
				st.EnvPath, st.OptOutVar))
		}
	}

	path, err := spool.DefaultPath(a.getenv)
	if err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("cannot find the spool of unsent events: %v", err))
		return rep, nil
	}
	rep.Spool.Path = path
	events, size, err := spool.Stats(path)
	if err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("cannot read the spool of unsent events: %v", err))
	}
	rep.Spool.Events, rep.Spool.Bytes = events, size
	rep.Spool.SenderPID, rep.Spool.Sender = spool.SenderRunning(path)
	return rep, nil
}

// senderState says whether a background sender is delivering the unsent
// events now.
func senderState(s spoolReport) string {
	switch {
	case s.Sender && s.SenderPID > 0:
		return fmt.Sprintf("running (PID %d); it ends when the events are sent, within %v", s.SenderPID, otelsetup.DefaultSenderDeadline)
	case s.Sender:
		return fmt.Sprintf("running; it ends when the events are sent, within %v", otelsetup.DefaultSenderDeadline)
	}
	return "not running (commands start one when they have events to send)"
}

// explicitOptOut reports whether d is an opt-out the person set, rather
// than a missing answer or a config.json that cannot be read.
func explicitOptOut(d consent.Decision) bool {
	return d.OptedOut() && d.Source != consent.SourceError
}

func writeStatus(w io.Writer, rep statusReport) error {
	state := "off"
	if rep.Enabled {
		state = "on"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("Telemetry:", state)
	row("Decided by:", rep.Source)
	row("Why:", rep.Reason)
	row("Config file:", rep.ConfigPath)
	row("Install ID:", orNone(rep.InstallID))
	row("Exporter:", rep.Exporter)
	row("PostHog key:", map[bool]string{true: "configured", false: "not configured (nothing can be sent)"}[rep.PostHogKey])
	row("Unsent events:", fmt.Sprintf("%d (%d bytes in %s)", rep.Spool.Events, rep.Spool.Bytes, rep.Spool.Path))
	row("Sender:", senderState(rep.Spool))
	row("Deployment:", rep.Deployment.Dir)
	if rep.Deployment.Exists {
		row("  .env:", rep.Deployment.EnvPath)
		row("  Deployment ID:", orNone(rep.Deployment.DeploymentID))
		dep := "on"
		switch {
		case rep.Deployment.TelemetryEnabled:
		case slices.Contains(consent.OptOutVars(), rep.Deployment.DisabledBy):
			dep = "off (" + rep.Deployment.DisabledBy + " is set in .env)"
		default:
			dep = "off when started with 'elmo start', which applies the CLI's opt-out (" + rep.Deployment.DisabledBy + ")"
		}
		row("  Telemetry:", dep)
	} else {
		row("  .env:", "none (no deployment; 'elmo init' creates one)")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, warn := range rep.Warnings {
		if _, err := fmt.Fprintf(w, "Warning: %s\n", warn); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "What is collected and how to see what was sent: %s\n", rep.Page)
	return err
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// deploymentDir returns the deployment directory from --dir, $ELMO_DIR or
// the default.
func (a *app) deploymentDir() (string, error) {
	return deployment.Dir(a.dirFlag, a.getenv)
}

// telemetrySetCommand returns `elmo telemetry enable` or `disable`. The
// choice is recorded before telemetry starts, so that it applies to the
// command's own span: disabling sends nothing. A choice that could not be
// recorded sends nothing either.
func (a *app) telemetrySetCommand(enable bool) *cobra.Command {
	use, short := "disable", "Turn telemetry off for the CLI and the local deployment"
	if enable {
		use, short = "enable", "Turn telemetry on for the CLI and the local deployment"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := a.setTelemetry(cmd.Context(), cmd.OutOrStdout(), enable)
			if err != nil {
				// The person asked for a change that did not happen:
				// this run sends nothing, and says only the error.
				a.sendNothing = true
			}
			runner.Begin(cmd)
			return err
		},
	}
	return runner.Defer(cmd)
}

// removeSpools deletes the CLI's spool of unsent events, in the state
// directory, and the one earlier versions kept beside config.json, and
// returns how many events they held.
func (a *app) removeSpools(store *configfile.Store) (events int, err error) {
	paths := []string{spool.LegacyPath(store.Path())}
	if p, err := spool.DefaultPath(a.getenv); err == nil {
		paths = append(paths, p)
	}
	var errs []error
	for _, p := range paths {
		n, _, _ := spool.Stats(p)
		if err := spool.Remove(p); err != nil && !absent(err) {
			errs = append(errs, fmt.Errorf("cannot delete the unsent events: %w", err))
			continue
		}
		events += n
	}
	return events, errors.Join(errs...)
}

// absent reports whether err says a file cannot exist: a part of its
// directory is not a directory. There is nothing to delete.
func absent(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// setTelemetry records the choice in config.json and the deployment .env,
// deletes the spool and the records of what was sent when disabling, and
// says what changed: in particular which deployment .env it changed, or
// that it changed none. Success is said only once the choice is recorded
// everywhere; otherwise setTelemetry prints nothing and returns one error,
// on one line, that says what failed and what did change. Disabling goes
// on after a failure, so that as much as possible of an opt-out is
// applied; enabling stops at the first, so that telemetry is never on in
// one place while the CLI's choice says off.
func (a *app) setTelemetry(ctx context.Context, out io.Writer, enable bool) error {
	var failures, changes []string
	word := map[bool]string{true: "on", false: "off"}[enable]
	failed := func() error {
		msg := fmt.Sprintf("telemetry was not turned %s: %s", word, strings.Join(failures, "; "))
		if len(changes) > 0 {
			msg += " (changed: " + strings.Join(changes, "; ") + ")"
		}
		return errors.New(oneLine(msg))
	}

	store, err := a.configStore()
	if err != nil {
		failures = append(failures, err.Error())
		return failed()
	}
	var before *bool
	_, err = store.Update(ctx, func(s *configfile.Settings) error {
		before = s.TelemetryDisabled
		disabled := !enable
		s.TelemetryDisabled = &disabled
		return nil
	})
	switch {
	case err != nil:
		failures = append(failures, fmt.Sprintf("cannot record the choice in config.json: %v", err))
		if enable {
			return failed()
		}
	case before == nil || *before == enable:
		changes = append(changes, fmt.Sprintf("CLI: set telemetryDisabled to %t in %s", !enable, store.Path()))
	}

	dir, err := a.deploymentDir()
	if err != nil {
		failures = append(failures, err.Error())
		return failed()
	}
	envPath := deployment.EnvPath(dir)
	change, err := deployment.SetTelemetry(dir, enable)
	// deploymentLine says which .env was changed, or why none was.
	var deploymentLine string
	switch {
	case err != nil:
		failures = append(failures, fmt.Sprintf("cannot change the deployment's .env %s: %v", envPath, err))
	case change == deployment.Changed && enable:
		changes = append(changes, "deployment: removed DISABLE_TELEMETRY from "+envPath)
	case change == deployment.Changed:
		changes = append(changes, "deployment: set DISABLE_TELEMETRY=1 in "+envPath)
	case change == deployment.Unchanged && enable:
		deploymentLine = "deployment: " + envPath + " does not set DISABLE_TELEMETRY; it was not changed"
	case change == deployment.Unchanged:
		deploymentLine = "deployment: " + envPath + " already sets DISABLE_TELEMETRY=1; it was not changed"
	case change == deployment.NoDeployment && enable:
		deploymentLine = "deployment: no .env in " + dir + ", so no deployment's .env was changed"
	default:
		deploymentLine = "deployment: no .env in " + dir + ", so no deployment's .env was changed; 'elmo start' runs any deployment, whatever its directory, with telemetry off"
	}
	deploymentChanged := err == nil && change == deployment.Changed

	if !enable {
		if events, err := a.removeSpools(store); err != nil {
			failures = append(failures, err.Error())
		} else if events > 0 {
			changes = append(changes, fmt.Sprintf("deleted %d unsent events", events))
		}
		// The records of what was sent go too: nothing of it is kept.
		logs := []string{sentlog.DeploymentPath(dir)}
		if p, err := sentlog.DefaultPath(a.getenv); err == nil {
			logs = append(logs, p)
		}
		for _, p := range logs {
			recs, _ := sentlog.Read(p)
			if err := sentlog.Remove(p); err != nil && !absent(err) {
				failures = append(failures, err.Error())
			} else if len(recs) > 0 {
				changes = append(changes, fmt.Sprintf("deleted the record of %d sent events, %s", len(recs), p))
			}
		}
	}
	if len(failures) > 0 {
		return failed()
	}

	if len(changes) == 0 {
		fmt.Fprintf(out, "Telemetry was already %s; nothing changed.\n", word)
	} else {
		fmt.Fprintf(out, "Telemetry is now %s.\n", word)
		for _, c := range changes {
			fmt.Fprintf(out, "  %s\n", c)
		}
	}
	if deploymentLine != "" {
		fmt.Fprintf(out, "  %s\n", deploymentLine)
	}
	if deploymentChanged {
		fmt.Fprintln(out, "Run 'elmo start' again so the running deployment picks up the change.")
	}
	if enable {
		if d, ok := consent.FromEnv(a.getenv); ok {
			fmt.Fprintf(out, "Note: telemetry stays off in this shell: %s.\n", d.Reason)
		}
		if st, err := deployment.ReadState(dir); err == nil && st.Exists && !st.TelemetryEnabled() {
			fmt.Fprintf(out, "Note: the deployment stays off: %s sets %s.\n", st.EnvPath, st.OptOutVar)
		}
	}
	return nil
}

// oneLine returns s with every run of white space, line breaks included,
// made one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (a *app) telemetryEventsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List every event elmo and the deployment can send",
		Long: `List every event elmo and the local deployment can send, with its
properties and what it is for. This is the list the telemetry filter
applies: anything not in it never leaves your machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				return catalogdoc.WriteJSON(cmd.OutOrStdout(), catalog.Events())
			}
			return catalogdoc.WriteTable(cmd.OutOrStdout(), catalog.Events())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the catalog as JSON")
	return cmd
}
