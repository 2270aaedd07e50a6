package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/cli/prompt"
	"github.com/elmohq/telemetry/internal/app/cli/runner"
	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/app/dotenv"
	"github.com/elmohq/telemetry/internal/app/newsletter"
	"github.com/elmohq/telemetry/internal/app/provider"
	"github.com/elmohq/telemetry/internal/pipeline/configfile"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
	"github.com/elmohq/telemetry/internal/pipeline/sentlog"
	"github.com/elmohq/telemetry/otelsetup"
)

// Defaults of elmo init.
const (
	defaultMode = catalog.ModeLocal
	defaultPort = deployment.DefaultWebPort
)

// The steps of elmo init, as failed_step reports them.
const (
	stepConfig     = catalog.StepConfig
	stepConsent    = catalog.StepConsent
	stepEnvFile    = catalog.StepEnvFile
	stepProviders  = catalog.StepProviders
	stepDatabase   = catalog.StepDatabase
	stepNewsletter = catalog.StepNewsletter
)

// collectionNotice says, before the question, what is and is not shared.
const collectionNotice = `Elmo can share anonymous usage data, to learn which features are used and
where set-up fails. The choice covers this CLI and your local deployment.
  Shared: command names and exit codes; a few non-secret options (storage
          mode, which providers are configured); counts of prompts, brands
          and reports; version, OS and architecture; a random install ID.
          PostHog, which receives the events, sees your IP address and
          uses it for an approximate location.
  Never:  API keys, .env contents or other secrets; brand names, prompt
          text or responses; file paths or hostnames; logs or stack traces.
See every event with 'elmo telemetry events'. Change your mind at any time
with 'elmo telemetry disable' or 'elmo telemetry enable'.
Learn more: ` + otelsetup.PageURL + `
`

var modePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// initOptions are the flags of elmo init.
type initOptions struct {
	yes         bool
	telemetry   bool
	email       string
	mode        string
	port        int
	providers   []string
	databaseURL string
}

func (a *app) initCommand() *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Set up a local deployment and choose what to share",
		Long: `Set up a local deployment in the deployment directory (--dir, else
$ELMO_DIR, else ~/.elmo): its .env file with a random DEPLOYMENT_ID, the
deployment mode, the web port, model provider keys and the database.

init asks whether to share anonymous usage data and for an optional
email for product updates. The question defaults to yes the first time,
and to your earlier answer when you made one (with init, 'elmo telemetry
disable' or 'enable'); --yes keeps that earlier answer too. Only an
answer or --telemetry changes it. Every question has a flag, so init
runs without a terminal; without a terminal and without --yes or
--telemetry, telemetry stays as chosen before, else off, and no email is
sent.

Provider keys are read from <NAME>_API_KEY (and <NAME>_BASE_URL) in the
environment, or asked for.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runInit(cmd, o) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.yes, "yes", "y", false, "accept the defaults and ask nothing (telemetry as chosen before, else on; --telemetry changes it)")
	f.BoolVar(&o.telemetry, "telemetry", true, "share anonymous usage data")
	f.StringVar(&o.email, "email", "", "email address for product updates")
	f.StringVar(&o.mode, "mode", defaultMode, "deployment mode")
	f.IntVar(&o.port, "port", defaultPort, "port of the web app")
	f.StringArrayVar(&o.providers, "provider", nil,
		"model provider to set up, repeatable: "+strings.Join(catalog.Providers(), ", "))
	f.StringVar(&o.databaseURL, "database-url", "",
		"PostgreSQL URL (postgres://...) of an external database; default embedded storage in the deployment directory")
	return runner.Defer(cmd)
}

// initRun is the state of one elmo init.
type initRun struct {
	a      *app
	cmd    *cobra.Command
	o      initOptions
	out    io.Writer
	ask    *prompt.Prompter
	prompt bool // questions may be asked

	step    string
	dir     string
	env     *dotenv.File
	envPath string
	share   bool
	email   string
}

func (a *app) runInit(cmd *cobra.Command, o initOptions) (err error) {
	r := &initRun{
		a:      a,
		cmd:    cmd,
		o:      o,
		out:    cmd.OutOrStdout(),
		prompt: a.interactive && !o.yes,
		step:   stepConfig,
	}
	var popts []prompt.Option
	if a.interactive {
		popts = append(popts, prompt.WithTerminal(a.stdinFD))
	}
	r.ask = prompt.New(a.stdin, r.out, popts...)

	defer func() {
		// Telemetry starts after the consent question; if init stopped
		// before it, it starts now, with whatever choice was recorded.
		runner.Begin(cmd)
		r.annotate(trace.SpanFromContext(cmd.Context()), err)
	}()

	if err := r.validate(); err != nil {
		return err
	}
	for _, step := range []struct {
		name string
		run  func(context.Context) error
	}{
		{stepConfig, r.config},
		{stepConsent, r.consent},
		{stepNewsletter, r.askEmail},
		{stepEnvFile, r.envFile},
		{stepProviders, r.providers},
		{stepDatabase, r.database},
		{stepNewsletter, r.signUp},
	} {
		r.step = step.name
		if err := step.run(cmd.Context()); err != nil {
			return err
		}
	}
	return nil
}

// annotate sets the init attributes on the cli_init span.
func (r *initRun) annotate(span trace.Span, err error) {
	attrs := []attribute.KeyValue{catalog.KeyCompleted.Bool(err == nil)}
	if err != nil {
		attrs = append(attrs, catalog.KeyFailedStep.String(r.step))
	}
	if r.env != nil {
		names := configuredProviders(r.env)
		direct := slices.ContainsFunc(names, func(n string) bool { return n != "openrouter" && n != "ollama" })
		attrs = append(attrs,
			catalog.KeyPostgresMode.String(postgresMode(r.env)),
			catalog.KeyProviders.StringSlice(names),
			catalog.KeyHasDirectAPI.Bool(direct),
		)
	}
	span.SetAttributes(attrs...)
}

// validate checks the flags before anything is changed. A bad value is a
// usage error, reported as a failure of the step it belongs to.
func (r *initRun) validate() error {
	flags := r.cmd.Flags()
	if flags.Changed("email") && r.o.email != "" && newsletter.CheckEmail(r.o.email) != nil {
		r.step = stepNewsletter
		return runner.Usage(fmt.Errorf("--email %q is not an email address, such as name@example.com", r.o.email))
	}
	if r.o.port < 1 || r.o.port > 65535 {
		r.step = stepEnvFile
		return runner.Usage(fmt.Errorf("--port %d is not a port number between 1 and 65535", r.o.port))
	}
	if !modePattern.MatchString(r.o.mode) {
		r.step = stepEnvFile
		return runner.Usage(fmt.Errorf("--mode %q is not a deployment mode, such as %s", r.o.mode, defaultMode))
	}
	known := catalog.Providers()
	var names []string
	for _, p := range r.o.providers {
		for n := range strings.SplitSeq(p, ",") {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "" {
				continue
			}
			if !slices.Contains(known, n) {
				r.step = stepProviders
				return runner.Usage(fmt.Errorf("--provider %q is not one of %s", n, strings.Join(known, ", ")))
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	r.o.providers = names
	if r.o.databaseURL != "" {
		if err := checkDatabaseURL(r.o.databaseURL); err != nil {
			r.step = stepDatabase
			return runner.Usage(err)
		}
	}
	return nil
}

// config finds the deployment directory and reads its .env, if any.
func (r *initRun) config(context.Context) error {
	dir, err := r.a.deploymentDir()
	if err != nil {
		return err
	}
	r.dir, r.envPath = dir, deployment.EnvPath(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the deployment directory: %w", err)
	}
	env, err := dotenv.ReadFile(r.envPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		env, _ = dotenv.Parse(nil)
	case err != nil:
		return err
	}
	r.env = env
	if !r.prompt {
		// Without questions, every provider needs its settings now.
		for _, name := range r.o.providers {
			if _, _, err := r.providerSettings(context.Background(), name); err != nil {
				r.step = stepProviders
				return runner.Usage(err)
			}
		}
	}
	return nil
}

// consent decides whether to share usage data, records the choice in
// config.json, then starts telemetry and the cli_init span, so the choice
// applies to this very run.
func (r *initRun) consent(ctx context.Context) error {
	store, err := r.a.configStore()
	if err != nil {
		return err
	}
	flags := r.cmd.Flags()
	fmt.Fprint(r.out, collectionNotice)
	earlier, why := r.earlierChoice(store)
	switch {
	case flags.Changed("telemetry"):
		r.share = r.o.telemetry
	case r.o.yes:
		// --yes accepts the defaults, and an earlier choice is the
		// default: only an answer or --telemetry changes it.
		r.share = earlier == nil || *earlier
		if earlier != nil {
			fmt.Fprintf(r.out, "Telemetry stays %s, as chosen before (%s); --telemetry=%t changes it.\n",
				onOff(r.share), why, !r.share)
		}
	case r.a.interactive:
		def := earlier == nil || *earlier
		if earlier != nil {
			fmt.Fprintf(r.out, "You chose %s before (%s); press Enter to keep it.\n", onOff(def), why)
		}
		share, err := r.ask.YesNo(ctx, "Share anonymous usage data?", def)
		if err != nil {
			return err
		}
		r.share = share
	default:
		// No terminal and no flag: keep an explicit earlier choice,
		// else fail closed.
		r.share = earlier != nil && *earlier
		how := "off"
		if r.share {
			how = "on, as chosen before"
		}
		fmt.Fprintf(r.out, "No terminal to ask on and neither --yes nor --telemetry was given: telemetry stays %s.\n", how)
	}
	if _, err := store.SetTelemetryDisabled(ctx, !r.share); err != nil {
		return fmt.Errorf("cannot record the telemetry choice: %w", err)
	}
	if !r.share {
		if _, err := r.a.removeSpools(store); err != nil {
			return err
		}
		if p, err := sentlog.DefaultPath(r.a.getenv); err == nil {
			if err := sentlog.Remove(p); err != nil {
				return err
			}
		}
	}
	runner.Begin(r.cmd)
	return nil
}

// earlierChoice returns the telemetry choice recorded before this run,
// nil when none was, and where it is recorded: telemetryDisabled in
// config.json, which covers the CLI and every deployment; else an
// opt-out in this deployment's .env. A config.json that cannot be read
// counts as "off", since nothing in it can be trusted.
func (r *initRun) earlierChoice(store *configfile.Store) (share *bool, where string) {
	off, on := false, true
	settings, _, err := store.Load()
	switch {
	case err != nil:
		return &off, store.Path() + " cannot be read"
	case settings.TelemetryDisabled != nil && *settings.TelemetryDisabled:
		return &off, "telemetryDisabled is true in " + store.Path()
	case settings.TelemetryDisabled != nil:
		return &on, "telemetryDisabled is false in " + store.Path()
	}
	for _, key := range consent.OptOutVars() {
		if v, ok := r.env.Get(key); ok && consent.OptOut(v) {
			return &off, key + " is set in " + r.envPath
		}
	}
	return nil, ""
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// askEmail gets the optional product-updates email: from --email, else
// from a question that is asked again until the answer is an email
// address or empty.
func (r *initRun) askEmail(ctx context.Context) error {
	if r.cmd.Flags().Changed("email") || !r.prompt {
		r.email = r.o.email
		return nil
	}
	for {
		email, err := r.ask.Line(ctx, "Email for product updates (optional): ")
		if err != nil {
			return err
		}
		if email == "" || newsletter.CheckEmail(email) == nil {
			r.email = email
			return nil
		}
		fmt.Fprintf(r.out, "%q is not an email address, such as name@example.com; try again, or press Enter to skip.\n", email)
	}
}

// envFile writes the deployment's identity, mode, port and telemetry
// setting to .env, keeping everything else in it.
func (r *initRun) envFile(context.Context) error {
	flags := r.cmd.Flags()
	if id, ok := r.env.Get(deployment.VarDeploymentID); !ok || id == "" {
		if err := r.env.Set(deployment.VarDeploymentID, uuid.NewString()); err != nil {
			return err
		}
	}
	if _, ok := r.env.Get(deployment.VarDeploymentMode); !ok || flags.Changed("mode") {
		if err := r.env.Set(deployment.VarDeploymentMode, r.o.mode); err != nil {
			return err
		}
	}
	if _, ok := r.env.Get(deployment.VarWebPort); !ok || flags.Changed("port") {
		if err := r.env.Set(deployment.VarWebPort, strconv.Itoa(r.o.port)); err != nil {
			return err
		}
	}
	if r.share {
		if _, err := r.env.Remove(deployment.VarDisableTelemetry); err != nil {
			return err
		}
	} else if err := r.env.Set(deployment.VarDisableTelemetry, "1"); err != nil {
		return err
	}
	return r.writeEnv()
}

// providers adds the settings of each provider chosen with --provider or
// in answer to a question.
func (r *initRun) providers(ctx context.Context) error {
	names := r.o.providers
	if len(names) == 0 && r.prompt {
		var err error
		if names, err = r.askProviders(ctx); err != nil {
			return err
		}
	}
	for _, name := range names {
		key, baseURL, err := r.providerSettings(ctx, name)
		if err != nil {
			return err
		}
		if key != "" {
			if err := r.env.Set(provider.EnvAPIKey(name), key); err != nil {
				return err
			}
		}
		if baseURL != "" {
			if err := r.env.Set(provider.EnvBaseURL(name), baseURL); err != nil {
				return err
			}
		}
	}
	return r.writeEnv()
}

func (r *initRun) askProviders(ctx context.Context) ([]string, error) {
	known := catalog.Providers()
	for {
		answer, err := r.ask.Line(ctx, fmt.Sprintf(
			"Model providers to set up, separated by commas (%s), or Enter to skip: ", strings.Join(known, ", ")))
		if err != nil {
			return nil, err
		}
		var names []string
		unknown := ""
		for n := range strings.SplitSeq(answer, ",") {
			n = strings.ToLower(strings.TrimSpace(n))
			switch {
			case n == "" || slices.Contains(names, n):
			case slices.Contains(known, n):
				names = append(names, n)
			default:
				unknown = n
			}
		}
		if unknown == "" {
			return names, nil
		}
		fmt.Fprintf(r.out, "%q is not a provider elmo knows; try again.\n", unknown)
	}
}

// providerSettings returns the API key and base URL to write for the
// provider called name: from the environment, else asked for when
// questions may be asked. A value the .env already holds is kept and
// returned as "". A provider that needs no key (a local server such as
// Ollama) is set up with its base URL: the one in the environment, else
// the answer to a question that defaults to its usual address, else that
// address. Providers without a well-known address need a base URL.
func (r *initRun) providerSettings(ctx context.Context, name string) (key, baseURL string, err error) {
	keyVar, urlVar := provider.EnvAPIKey(name), provider.EnvBaseURL(name)
	key, baseURL = r.a.getenv(keyVar), r.a.getenv(urlVar)
	if !provider.NeedsKey(name) {
		if old, ok := r.env.Get(urlVar); baseURL == "" && ok && old != "" {
			return key, "", nil
		}
		if baseURL != "" {
			return key, baseURL, nil
		}
		def := provider.DefaultBaseURL(name)
		if r.prompt {
			answer, err := r.ask.Line(ctx, fmt.Sprintf("%s (Enter for %s): ", urlVar, def))
			if err != nil {
				return "", "", err
			}
			if answer != "" {
				def = answer
			}
		}
		return key, def, nil
	}
	if old, ok := r.env.Get(keyVar); key == "" && ok && old != "" {
		key = ""
	} else if key == "" {
		if !r.prompt {
			return "", "", fmt.Errorf("--provider %s needs its API key in %s, since there is no terminal to ask on", name, keyVar)
		}
		for key == "" {
			if key, err = r.ask.Secret(ctx, keyVar+": "); err != nil {
				return "", "", err
			}
		}
	}
	if old, ok := r.env.Get(urlVar); baseURL == "" && (provider.DefaultBaseURL(name) != "" || ok && old != "") {
		baseURL = ""
	} else if baseURL == "" {
		if !r.prompt {
			return "", "", fmt.Errorf("--provider %s needs its address in %s, since there is no terminal to ask on", name, urlVar)
		}
		for baseURL == "" {
			if baseURL, err = r.ask.Line(ctx, urlVar+": "); err != nil {
				return "", "", err
			}
		}
	}
	return key, baseURL, nil
}

// database selects external PostgreSQL when --database-url is given; the
// default is embedded storage in the deployment directory.
func (r *initRun) database(context.Context) error {
	if r.o.databaseURL != "" {
		if err := r.env.Set(deployment.VarDatabaseURL, r.o.databaseURL); err != nil {
			return err
		}
		if err := r.writeEnv(); err != nil {
			return err
		}
	}
	r.summary()
	return nil
}

// signUp sends the newsletter signup when an email was given. It goes out
// even with telemetry off, keyed as the choice requires, and waits at most
// newsletter.Budget; then init says in one line that it was not sent. The
// signup is never written to disk for a later run.
func (r *initRun) signUp(ctx context.Context) error {
	if r.email == "" {
		return nil
	}
	tel := r.a.telemetry(ctx)
	if tel == nil {
		return errors.New("the deployment is set up, but the product-updates signup could not be sent: telemetry failed to start; run 'elmo init --email ...' again to retry")
	}
	if err := newsletter.SignUp(ctx, tel, r.email, true); err != nil {
		if ctx.Err() != nil {
			// The person pressed Ctrl-C.
			return ctx.Err()
		}
		return fmt.Errorf("the deployment is set up, but the product-updates signup was not sent (%v); run 'elmo init --email %s' again to retry", err, r.email)
	}
	if tel.Debug() {
		fmt.Fprintf(r.out, "Did not sign up %s for product updates: ELMO_TELEMETRY_DEBUG printed the signup on stderr instead of sending it.\n", r.email)
		return nil
	}
	fmt.Fprintf(r.out, "Signed up %s for product updates.\n", r.email)
	return nil
}

// writeEnv writes .env with mode 0600: it holds keys.
func (r *initRun) writeEnv() error {
	if err := dotenv.WriteFile(r.envPath, r.env); err != nil {
		return err
	}
	if err := os.Chmod(r.envPath, 0o600); err != nil {
		return fmt.Errorf("cannot restrict access to %s: %w", r.envPath, err)
	}
	return nil
}

func (r *initRun) summary() {
	id, _ := r.env.Get(deployment.VarDeploymentID)
	fmt.Fprintf(r.out, "\nWrote %s\n", r.envPath)
	fmt.Fprintf(r.out, "  Deployment ID: %s\n", id)
	storage := "embedded, in " + r.dir
	if postgresMode(r.env) == catalog.PostgresExternal {
		storage = "external PostgreSQL (DATABASE_URL)"
	}
	fmt.Fprintf(r.out, "  Storage:       %s\n", storage)
	if names := configuredProviders(r.env); len(names) > 0 {
		fmt.Fprintf(r.out, "  Providers:     %s\n", strings.Join(names, ", "))
	} else {
		fmt.Fprintf(r.out, "  Providers:     none yet (run 'elmo init --provider NAME' to add one)\n")
	}
	state := "off (config.json and .env record the opt-out)"
	if r.share {
		state = "on"
		if tel := r.a.tel; tel != nil && tel.InstallID() != "" {
			state += ", install ID " + tel.InstallID()
		}
	}
	fmt.Fprintf(r.out, "  Telemetry:     %s\n", state)
	if st, err := deployment.ReadState(r.dir); err == nil && r.share && !st.TelemetryEnabled() {
		fmt.Fprintf(r.out, "  Note: the deployment stays off: %s sets %s.\n", r.envPath, st.OptOutVar)
	}
	fmt.Fprintln(r.out, "Start it with 'elmo start'.")
}

// configuredProviders returns, sorted, the known providers that env sets
// a key or an address for.
func configuredProviders(env *dotenv.File) []string {
	names := provider.Configured(func(k string) string { v, _ := env.Get(k); return v }, catalog.Providers())
	if names == nil {
		names = []string{}
	}
	return names
}

// postgresMode returns "external" when env points DATABASE_URL at a
// PostgreSQL server, else "embedded".
func postgresMode(env *dotenv.File) string {
	if u, ok := env.Get(deployment.VarDatabaseURL); ok && deployment.IsPostgresURL(u) {
		return catalog.PostgresExternal
	}
	return catalog.PostgresEmbedded
}

// checkDatabaseURL accepts a PostgreSQL URL with a host. The error never
// repeats the URL, which may hold a password.
func checkDatabaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || !deployment.IsPostgresURL(s) || u.Host == "" {
		return errors.New("--database-url is not a PostgreSQL URL such as postgres://user:password@host:5432/elmo; leave it out for embedded storage")
	}
	return nil
}
