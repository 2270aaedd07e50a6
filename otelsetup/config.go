package otelsetup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/pipeline/configfile"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
	"github.com/elmohq/telemetry/internal/pipeline/envexport"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
	"github.com/elmohq/telemetry/processors"
)

// The variables of Elmo's own that the pipeline reads, besides the opt-out
// variables and the standard OTEL_* ones. Each is read through WithGetenv.
const (
	// VarPostHogHost is the capture host; DefaultPostHogHost when unset.
	VarPostHogHost = "ELMO_POSTHOG_HOST"
	// VarPostHogKey is the PostHog project key; the one built in when
	// unset (see PostHogKey).
	VarPostHogKey = "ELMO_POSTHOG_KEY"
	// VarPostHogCapture chooses the capture API: "legacy" (the default)
	// or "v1".
	VarPostHogCapture = "ELMO_POSTHOG_CAPTURE"
	// VarTelemetryDebug, set to a true value, prints each event on stderr
	// as it would be sent, and sends nothing.
	VarTelemetryDebug = "ELMO_TELEMETRY_DEBUG"
)

// Option configures Start.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	role       Role
	service    string
	version    string
	exitBudget time.Duration
	logger     *slog.Logger
	stderr     io.Writer
	stdout     io.Writer
	terminal   *bool
	getenv     func(string) string
	configPath string
	spoolPath  string
	spoolSet   bool
	// legacySpool is where earlier versions kept the CLI's spool, beside
	// config.json; "" when the spool is not the default one.
	legacySpool string
	policy      *processors.Policy
	sentLog     string
	// sender is the command line of the CLI's background sender: the
	// program and its arguments; nil starts none.
	sender []string
	// senderDeadline bounds a background sender's whole run.
	senderDeadline time.Duration
	// settingErr is a setting of the environment that keeps telemetry
	// from starting, such as a home directory that cannot be found: Start
	// turns telemetry off for the run with it as the reason.
	settingErr error
}

// WithRole sets the role. The default is RoleCLI.
func WithRole(r Role) Option {
	return optionFunc(func(c config) config {
		c.role = r
		return c
	})
}

// WithServiceName sets service.name: "elmo-cli", "elmo-web" or
// "elmo-worker". The default is "elmo-cli" in the CLI role; a deployment
// service must name itself.
func WithServiceName(name string) Option {
	return optionFunc(func(c config) config {
		c.service = name
		return c
	})
}

// WithVersion sets service.version. The default comes from the build.
func WithVersion(v string) Option {
	return optionFunc(func(c config) config {
		c.version = v
		return c
	})
}

// WithExitBudget bounds how long Shutdown spends delivering in the CLI
// role. The default is DefaultExitBudget.
func WithExitBudget(d time.Duration) Option {
	return optionFunc(func(c config) config {
		c.exitBudget = d
		return c
	})
}

// WithLogger receives the pipeline's errors. The default discards them,
// so that telemetry never clutters a user's terminal.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c config) config {
		c.logger = l
		return c
	})
}

// WithStderr is where the first-run notice, warnings and
// ELMO_TELEMETRY_DEBUG output are written. The default is os.Stderr.
func WithStderr(w io.Writer) Option {
	return optionFunc(func(c config) config {
		c.stderr = w
		return c
	})
}

// WithStdout is where the console exporter (OTEL_TRACES_EXPORTER=console
// or OTEL_METRICS_EXPORTER=console) writes. The default is os.Stdout.
func WithStdout(w io.Writer) Option {
	return optionFunc(func(c config) config {
		c.stdout = w
		return c
	})
}

// WithTerminal says whether stderr is an interactive terminal, which is
// when the first-run notice may be shown. The default detects it, and
// treats a set CI variable as not interactive.
func WithTerminal(interactive bool) Option {
	return optionFunc(func(c config) config {
		c.terminal = &interactive
		return c
	})
}

// WithGetenv sets how Elmo's variables are looked up. The default is
// os.Getenv. The standard OTEL_* variables are always read from the
// process environment, by the OpenTelemetry SDK.
func WithGetenv(getenv func(string) string) Option {
	return optionFunc(func(c config) config {
		c.getenv = getenv
		return c
	})
}

// WithConfigPath sets the path of config.json. The default is
// $XDG_CONFIG_HOME/elmo/config.json, else ~/.config/elmo/config.json.
func WithConfigPath(path string) Option {
	return optionFunc(func(c config) config {
		c.configPath = path
		return c
	})
}

// WithSentLog keeps a local record of the events sent to PostHog, exactly
// as they went on the wire, and of those dropped, with the reason, in the
// file at path (see `elmo telemetry log`). The record is written only when
// telemetry is on and events go to PostHog: in the CLI role within the
// exit budget's window for local files at Shutdown, in the deployment
// role after each batch the server answered. It holds at most a few
// hundred events and 256 KiB, with mode 0600; the newsletter signup is
// never written.
func WithSentLog(path string) Option {
	return optionFunc(func(c config) config {
		c.sentLog = path
		return c
	})
}

// WithPolicy sets the policy that decides which events and attributes may
// leave the process. The default is processors.DefaultPolicy, the Elmo
// event catalog.
func WithPolicy(p *processors.Policy) Option {
	return optionFunc(func(c config) config {
		c.policy = p
		return c
	})
}

// WithSpoolPath sets the file where events that could not be delivered
// by Shutdown are kept, for the next start to send; "" keeps none. The
// default is none for a deployment service and, in the CLI role,
// $XDG_STATE_HOME/elmo/telemetry-spool.jsonl (~/.local/state/elmo/ when
// XDG_STATE_HOME is unset or not absolute), where a start that sends
// also moves the events of a spool that earlier versions kept beside
// config.json, and deletes that file. A CLI whose state directory cannot
// be used keeps no spool. The spool is bounded, only ever holds events
// that passed the gate, and every line passes it again before it is sent.
func WithSpoolPath(path string) Option {
	return optionFunc(func(c config) config {
		c.spoolPath, c.spoolSet = path, true
		return c
	})
}

// WithSenderCommand sets the program, and its arguments, that a CLI
// starts in the background at Shutdown to deliver the spool: the command
// only writes its events to the spool, and never waits on the network.
// The program must call RunSender when it is started so; the elmo CLI is
// started as itself with the one argument SenderArg. The default, and an
// empty path, starts no sender: events wait in the spool for a program
// that has one. Only the CLI role uses it.
func WithSenderCommand(path string, args ...string) Option {
	return optionFunc(func(c config) config {
		c.sender = nil
		if path != "" {
			c.sender = append([]string{path}, args...)
		}
		return c
	})
}

// WithSenderDeadline bounds the whole run of a background sender
// (RunSender): past it, the sender exits and leaves what it has not
// delivered in the spool for the next one. The default is
// DefaultSenderDeadline.
func WithSenderDeadline(d time.Duration) Option {
	return optionFunc(func(c config) config {
		c.senderDeadline = d
		return c
	})
}

func newConfig(opts []Option) (config, error) {
	c := config{
		exitBudget:     DefaultExitBudget,
		senderDeadline: DefaultSenderDeadline,
		stderr:         os.Stderr,
		stdout:         os.Stdout,
		getenv:         os.Getenv,
	}
	for _, opt := range opts {
		c = opt.apply(c)
	}
	if c.getenv == nil {
		c.getenv = os.Getenv
	}
	if c.stderr == nil {
		c.stderr = io.Discard
	}
	if c.stdout == nil {
		c.stdout = io.Discard
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.policy == nil {
		c.policy = processors.DefaultPolicy()
	}
	if c.exitBudget <= 0 {
		return c, fmt.Errorf("otelsetup: the exit budget must be positive, not %v", c.exitBudget)
	}
	if c.senderDeadline <= 0 {
		return c, fmt.Errorf("otelsetup: the sender's deadline must be positive, not %v", c.senderDeadline)
	}
	switch c.role {
	case RoleCLI:
		if c.service == "" {
			c.service = catalog.ServiceCLI
		}
		if c.configPath == "" {
			p, err := configfile.DefaultPath(c.getenv)
			if err != nil {
				// Where config.json lives depends on the environment: a
				// reason for telemetry to be off, not for the program to
				// stop.
				c.settingErr = err
				return c, nil
			}
			c.configPath = p
		}
		if !c.spoolSet {
			// Without a state directory, no spool: telemetry still works.
			if p, err := spool.DefaultPath(c.getenv); err == nil {
				c.spoolPath = p
				c.legacySpool = spool.LegacyPath(c.configPath)
			}
		}
	case RoleDeployment:
		if c.service == "" {
			return c, errors.New("otelsetup: a deployment service must name itself with WithServiceName")
		}
	default:
		return c, fmt.Errorf("otelsetup: unknown role %v", c.role)
	}
	return c, nil
}

// interactive reports whether the first-run notice may be shown.
func (c config) interactive() bool {
	if c.terminal != nil {
		return *c.terminal
	}
	if c.getenv("CI") != "" {
		return false
	}
	f, ok := c.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// debug reports whether ELMO_TELEMETRY_DEBUG asks to print events instead
// of sending them.
func (c config) debug() bool { return consent.OptOut(c.getenv(VarTelemetryDebug)) }

// PostHogKey returns the PostHog project key in use: ELMO_POSTHOG_KEY,
// else the key built in with -ldflags, else "". getenv nil means
// os.Getenv.
func PostHogKey(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if k := strings.TrimSpace(getenv(VarPostHogKey)); k != "" {
		return k
	}
	return builtinPostHogKey
}

// postHogHost returns ELMO_POSTHOG_HOST or the default host.
func postHogHost(getenv func(string) string) string {
	if h := strings.TrimSpace(getenv(VarPostHogHost)); h != "" {
		return h
	}
	return DefaultPostHogHost
}

// cliMetricInterval is the CLI's metric interval: in effect never, so
// that its counters are exported once, at Shutdown, however long a
// command runs.
const cliMetricInterval = time.Duration(math.MaxInt64)

// metricInterval returns how often the periodic metric reader of role
// exports, given the value of OTEL_METRIC_EXPORT_INTERVAL: that many
// milliseconds when it is a positive whole number, else the role's
// default, DefaultDeploymentMetricInterval for a deployment service and
// only at Shutdown for the CLI. A value that is set but cannot be used is
// refused, with err saying why, and the default is returned: a value the
// SDK would replace with its own default of a minute would multiply what
// a deployment sends sixty times.
func metricInterval(role Role, value string) (d time.Duration, err error) {
	def := DefaultDeploymentMetricInterval
	if role == RoleCLI {
		def = cliMetricInterval
	}
	if value == "" {
		return def, nil
	}
	d, err = envexport.ParseMillis(metricIntervalVar, value)
	if err != nil {
		return def, err
	}
	return d, nil
}

// sdkLogHandler passes the OpenTelemetry SDK's diagnostics on to its
// handler, except those about OTEL_METRIC_EXPORT_INTERVAL. The SDK's
// periodic reader parses that variable whatever its options say and
// complains of a value it cannot use; Start reads it itself, reports a
// refused value in one line of its own and gives the reader its interval
// explicitly, which takes precedence, so the SDK's complaint would only
// repeat it, and wrongly say the SDK's default applies.
type sdkLogHandler struct{ slog.Handler }

var _ slog.Handler = sdkLogHandler{}

// Handle drops a record about OTEL_METRIC_EXPORT_INTERVAL and passes on
// every other.
func (h sdkLogHandler) Handle(ctx context.Context, r slog.Record) error {
	about := false
	r.Attrs(func(a slog.Attr) bool {
		about = a.Key == sdkEnvKey && a.Value.String() == metricIntervalVar
		return !about
	})
	if about {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs returns the handler with attrs, still filtering.
func (h sdkLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return sdkLogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup returns the handler with the group name, still filtering.
func (h sdkLogHandler) WithGroup(name string) slog.Handler {
	return sdkLogHandler{h.Handler.WithGroup(name)}
}

// sdkEnvKey is the key under which the SDK's diagnostics name an
// environment variable they are about.
const sdkEnvKey = "environment variable"
