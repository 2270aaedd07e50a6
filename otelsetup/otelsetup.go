// Package otelsetup wires Elmo's telemetry pipeline. The bodies here are
// being written; the API is the one the programs use.
package otelsetup

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/elmohq/telemetry/internal/consent"
)

// Role says which kind of Elmo program is starting.
type Role int

const (
	// RoleCLI is the elmo command-line tool: identity is the install ID in
	// config.json, consent comes from the environment and config.json.
	RoleCLI Role = iota
	// RoleDeployment is a service of the local deployment (elmo-web,
	// elmo-worker): identity is DEPLOYMENT_ID, consent comes from the
	// environment, which is the deployment .env.
	RoleDeployment
)

// Option configures Start.
type Option func(*config)

type config struct {
	role       Role
	service    string
	version    string
	exitBudget time.Duration
	logger     *slog.Logger
	stderr     io.Writer
	terminal   *bool
	getenv     func(string) string
	configPath string
}

// WithRole sets the role. The default is RoleCLI.
func WithRole(r Role) Option { return func(c *config) { c.role = r } }

// WithServiceName sets service.name: "elmo-cli", "elmo-web" or "elmo-worker".
func WithServiceName(name string) Option { return func(c *config) { c.service = name } }

// WithVersion sets service.version. The default comes from the build.
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithExitBudget bounds how long Shutdown spends delivering in the CLI
// role. The default is 300 ms.
func WithExitBudget(d time.Duration) Option { return func(c *config) { c.exitBudget = d } }

// WithLogger receives the pipeline's errors. The default discards them.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithStderr is where the first-run notice and warnings are written. The
// default is os.Stderr.
func WithStderr(w io.Writer) Option { return func(c *config) { c.stderr = w } }

// WithTerminal says whether stderr is an interactive terminal, which is
// when the first-run notice may be shown. The default detects it, and
// treats a set CI variable as not interactive.
func WithTerminal(interactive bool) Option { return func(c *config) { c.terminal = &interactive } }

// WithGetenv sets how variables are looked up. The default is os.Getenv.
func WithGetenv(getenv func(string) string) Option { return func(c *config) { c.getenv = getenv } }

// WithConfigPath sets the path of config.json. The default is
// $XDG_CONFIG_HOME/elmo/config.json, else ~/.config/elmo/config.json.
func WithConfigPath(path string) Option { return func(c *config) { c.configPath = path } }

// Telemetry is the running pipeline of one process.
type Telemetry struct {
	decision consent.Decision
}

// Start decides consent and, when telemetry is on, builds the pipeline and
// installs the global tracer and meter providers. When it is off, the
// global providers are the OpenTelemetry no-op ones and nothing is
// written, started or opened.
func Start(ctx context.Context, opts ...Option) (*Telemetry, error) {
	return &Telemetry{}, nil
}

// Decision returns the consent decision made by Start.
func (t *Telemetry) Decision() consent.Decision { return t.decision }

// Enabled reports whether telemetry is on for this process.
func (t *Telemetry) Enabled() bool { return t.decision.Enabled }

// NoticeShown reports whether this run showed the first-run notice (and
// so sends nothing).
func (t *Telemetry) NoticeShown() bool { return false }

// InstallID returns the CLI's install ID, "" when there is none or
// telemetry is off.
func (t *Telemetry) InstallID() string { return "" }

// Exporter names where events go: "posthog", "posthog (no key)",
// "debug", "otlp", "console", "none", or "off".
func (t *Telemetry) Exporter() string { return "off" }

// SignUpForNewsletter sends the newsletter_signup event for email, even
// when telemetry is off: typing an email is explicit intent. With
// telemetry on it is keyed by the install ID; off, by the email, and the
// install ID is not sent. It waits for delivery up to ctx.
func (t *Telemetry) SignUpForNewsletter(ctx context.Context, email string, wantsUpdates bool) error {
	return nil
}

// Shutdown flushes and stops the pipeline. In the CLI role it spends at
// most the exit budget delivering and spools what was not acknowledged.
func (t *Telemetry) Shutdown(ctx context.Context) error { return nil }

// PostHogKey returns the PostHog project key in use: ELMO_POSTHOG_KEY,
// else the key built in with -ldflags, else "".
func PostHogKey(getenv func(string) string) string { return "" }

// SpoolPath returns the path of the spool of undelivered events that
// belongs to the config file at configPath.
func SpoolPath(configPath string) string { return "" }

// SpoolStats returns how many events the spool holds and its size in bytes.
func SpoolStats(configPath string) (events int, size int64, err error) { return 0, 0, nil }

// RemoveSpool deletes the spool; disabling telemetry calls it.
func RemoveSpool(configPath string) error { return nil }
