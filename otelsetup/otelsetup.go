package otelsetup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/internal/pipeline/configfile"
	"github.com/elmohq/telemetry/internal/pipeline/consent"
	"github.com/elmohq/telemetry/internal/pipeline/envexport"
	"github.com/elmohq/telemetry/internal/pipeline/sentlog"
	"github.com/elmohq/telemetry/internal/pipeline/spool"
	"github.com/elmohq/telemetry/processors"
	"github.com/elmohq/telemetry/resource"
)

// Role says which kind of Elmo program is starting.
type Role = resource.Role

const (
	// RoleCLI is the elmo command-line tool: identity is the install ID in
	// config.json, consent comes from the environment and config.json.
	RoleCLI = resource.RoleCLI
	// RoleDeployment is a service of the local deployment (elmo-web,
	// elmo-worker): identity is DEPLOYMENT_ID, consent comes from the
	// environment, which is the deployment .env.
	RoleDeployment = resource.RoleDeployment
)

// DefaultPostHogHost is where events go unless ELMO_POSTHOG_HOST says
// otherwise: the exporter's own default, [exporter.DefaultHost].
const DefaultPostHogHost = exporter.DefaultHost

// DefaultExitBudget is how long a CLI's Shutdown may spend delivering.
const DefaultExitBudget = 300 * time.Millisecond

// DefaultDeploymentMetricInterval is how often a deployment service
// exports its counters and gauges, on every route (PostHog, OTLP,
// console): one event per instrument and attribute set an hour, whatever
// the number of runs they count, with a last export at shutdown. An
// OTEL_METRIC_EXPORT_INTERVAL of a positive whole number of milliseconds
// takes precedence; any other value is refused and this default kept. The
// CLI exports its counters once, at Shutdown.
const DefaultDeploymentMetricInterval = time.Hour

// metricIntervalVar is the standard variable of the periodic metric
// reader's interval, in milliseconds.
const metricIntervalVar = "OTEL_METRIC_EXPORT_INTERVAL"

// builtinPostHogKey is the project key of release builds, set with
// -ldflags "-X github.com/elmohq/telemetry/otelsetup.builtinPostHogKey=phc_...".
// A plain build has none and sends nothing to PostHog.
var builtinPostHogKey string

// The names Exporter returns.
const (
	ExporterOff     = "off"
	ExporterPostHog = "posthog"
	ExporterNoKey   = "posthog (no key)"
	ExporterDebug   = "debug"
)

// ErrNoPostHogKey is returned by Telemetry.NewPostHogClient when this
// build has no PostHog key and none is set in ELMO_POSTHOG_KEY.
var ErrNoPostHogKey = errors.New("no PostHog project key is configured (ELMO_POSTHOG_KEY), so nothing can be sent")

// Telemetry is the running pipeline of one process. Its methods are safe
// for concurrent use.
type Telemetry struct {
	cfg         config
	decision    consent.Decision
	noticeShown bool
	installID   string
	exporter    string

	tp     *sdktrace.TracerProvider // nil when off
	mp     *sdkmetric.MeterProvider // nil when off
	client *exporter.Client         // nil unless a deployment sends to PostHog, or debug
	sent   *sentlog.Log             // nil unless WithSentLog and a deployment sends to PostHog

	// The Sender of the PostHog exporters: sink in the CLI, which only
	// writes events to the spool; backlog in front of client in a
	// deployment; client itself for debug output.
	sink    *spoolSink
	backlog *exporter.Backlog
	// stopReplay ends the delivery of what a deployment's spool held at
	// Start; replayDone is closed when it has returned.
	stopReplay context.CancelFunc
	replayDone chan struct{}

	// debugOut is stderr for debug output (ELMO_TELEMETRY_DEBUG): the
	// events and the gate's notes on what it removed, one write at a time.
	debugOut io.Writer

	mu      sync.Mutex
	preview bool // telemetry is off, events are only printed (ELMO_TELEMETRY_DEBUG)

	replayed     []exporter.Event // taken from the spool by this run
	spoolDropped int              // spool lines that may not be sent
	shutdown     bool

	chosen    string // the OTEL_*_EXPORTER the person set, such as "otlp"
	exportErr error  // the first export error of a chosen exporter
}

// Start decides consent and, when telemetry is on, builds the pipeline
// and installs the global tracer and meter providers and error handler.
// When it is off, the global providers are the OpenTelemetry no-op ones,
// and nothing is recorded, written, started or opened; the one exception
// is ELMO_TELEMETRY_DEBUG, which asks to see what would be sent: then
// events are recorded and printed to stderr, and still nothing is sent or
// written.
//
// In the CLI role, a run that finds no choice recorded sends nothing; on
// an interactive terminal it shows the first-run notice and records that
// it did, so that later runs send.
//
// Start fails only for invalid options. Telemetry never stops a
// program: a problem with the user's files or a setting that cannot be
// used (an OTEL_TRACES_EXPORTER or OTEL_METRICS_EXPORTER value this build
// does not support, an OTLP variable, ELMO_POSTHOG_CAPTURE,
// ELMO_POSTHOG_HOST) turns telemetry off for the run, with the global
// no-op providers, and is reported in Decision, with the source "error",
// and in one line: on stderr in the CLI role, to the logger in the
// deployment role. An OTEL_METRIC_EXPORT_INTERVAL that is not a positive
// whole number of milliseconds is refused in one line likewise, and the
// default interval kept.
func Start(ctx context.Context, opts ...Option) (*Telemetry, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	t := &Telemetry{cfg: cfg, exporter: ExporterOff}
	if cfg.debug() {
		t.debugOut = &lockedWriter{w: cfg.stderr}
	}
	if cfg.settingErr != nil {
		t.turnOff(cfg.settingErr)
		return t, nil
	}

	var store *configfile.Store
	switch cfg.role {
	case RoleCLI:
		store = configfile.New(cfg.configPath)
		t.decision = consent.ForCLI(cfg.getenv, store)
		switch t.decision.Source {
		case consent.SourceNotYetAsked:
			if cfg.interactive() {
				t.showNotice(ctx, store)
			}
		case consent.SourceError:
			fmt.Fprintf(cfg.stderr, "elmo: telemetry is off for this run: %s\n", t.decision.Reason)
		}
	case RoleDeployment:
		t.decision = consent.ForDeployment(cfg.getenv)
	}
	if !t.decision.Enabled {
		if cfg.debug() {
			// ELMO_TELEMETRY_DEBUG shows what would be sent even with
			// telemetry off, and still sends nothing.
			t.preview = true
		} else {
			t.installNoop()
			return t, nil
		}
	}

	detOpts := []resource.Option{
		resource.WithRole(cfg.role),
		resource.WithServiceName(cfg.service),
		resource.WithGetenv(cfg.getenv),
	}
	if cfg.version != "" {
		detOpts = append(detOpts, resource.WithVersion(cfg.version))
	}
	if store != nil {
		// A preview never writes: it shows the install ID if there is one.
		detOpts = append(detOpts, resource.WithConfigStore(store), resource.WithCreateInstallID(!t.preview))
	}
	det, err := resource.NewDetector(detOpts...)
	if err != nil {
		return nil, fmt.Errorf("otelsetup: %w", err)
	}
	res, err := resource.Build(ctx, det)
	if err != nil && t.preview && t.identity(res) == "" {
		res, err = withPreviewIdentity(res, cfg.role), nil
	}
	if err != nil {
		if !errors.Is(err, sdkresource.ErrPartialResource) || t.identity(res) == "" {
			// Without an identity no event can be keyed: fail closed.
			t.decision = consent.Failed(err)
			if cfg.role == RoleCLI {
				fmt.Fprintf(cfg.stderr, "elmo: telemetry is off for this run: %s\n", err)
			}
			cfg.logger.Warn("telemetry is off", "reason", err)
			t.installNoop()
			return t, nil
		}
		cfg.logger.Warn("telemetry resource is incomplete", "error", err)
	}
	if cfg.role == RoleCLI && !t.preview {
		t.installID = t.identity(res)
	}
	if err := t.build(ctx, res); err != nil {
		t.turnOff(err)
	}
	return t, nil
}

// turnOff turns telemetry off for this run because of err, a setting
// that keeps the pipeline from being built, and says so in one line: on
// stderr in the CLI role, to the logger in the deployment role. What a
// failed build made is released (see fail) and nothing is sent; a CLI run
// may have created its install ID in config.json before the setting was
// read, as a run that sends would have. An opt-out stays the decision:
// err is then only reported.
func (t *Telemetry) turnOff(err error) {
	if t.decision.Enabled || t.decision.Source == "" {
		t.decision = consent.Failed(err)
	}
	t.preview = false
	t.client, t.sent, t.tp, t.mp = nil, nil, nil, nil
	t.exporter, t.chosen, t.installID = ExporterOff, "", ""
	if t.cfg.role == RoleCLI {
		fmt.Fprintf(t.cfg.stderr, "elmo: telemetry is off for this run: %s\n", err)
	} else {
		t.cfg.logger.Warn("telemetry is off", "reason", err)
	}
	t.installNoop()
}

// identity returns the install or deployment ID on res.
func (t *Telemetry) identity(res *sdkresource.Resource) string {
	if res == nil {
		return ""
	}
	key := catalog.ResourceDeploymentID
	if t.cfg.role == RoleCLI {
		key = catalog.ResourceInstallID
	}
	v, _ := res.Set().Value(key)
	return v.AsString()
}

// previewInstallID and previewDeploymentID stand in for an identity that
// does not exist, in events printed while telemetry is off.
const (
	previewInstallID    = "00000000-0000-4000-8000-000000000000"
	previewDeploymentID = "00000000-0000-4000-8000-000000000000"
)

// withPreviewIdentity returns res with a placeholder for the missing
// install or deployment ID.
func withPreviewIdentity(res *sdkresource.Resource, role Role) *sdkresource.Resource {
	kv := catalog.ResourceInstallID.String(previewInstallID)
	if role == RoleDeployment {
		kv = catalog.ResourceDeploymentID.String(previewDeploymentID)
	}
	merged, err := sdkresource.Merge(res, sdkresource.NewSchemaless(kv))
	if err != nil {
		return sdkresource.NewSchemaless(kv)
	}
	return merged
}

// installNoop installs the OpenTelemetry no-op providers.
func (t *Telemetry) installNoop() {
	otel.SetTracerProvider(tracenoop.NewTracerProvider())
	otel.SetMeterProvider(metricnoop.NewMeterProvider())
}

// build creates the exporters, processors and providers for res and
// installs them globally.
func (t *Telemetry) build(ctx context.Context, res *sdkresource.Resource) error {
	cfg := t.cfg
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		t.noteExportError(err)
		if errors.As(err, new(*exporter.SendError)) {
			// PostHog's delivery logs only changes of state (capture
			// unreachable, then reachable again), never each batch.
			return
		}
		cfg.logger.Warn("telemetry", "error", err)
	}))
	// The SDK's own diagnostics (such as an OTLP endpoint it cannot parse)
	// go where the pipeline's errors go, not straight to stderr.
	otel.SetLogger(logr.FromSlogHandler(sdkLogHandler{cfg.logger.Handler()}))

	// PostHog is the default of both signals: the client exists when
	// either uses it and there is a key (or debug output). The standard
	// variables choose a debugging exporter instead; whatever the route,
	// the same gate stands in front of it.
	tracesVar, metricsVar := os.Getenv(envexport.TracesVar), os.Getenv(envexport.MetricsVar)
	if t.preview {
		// Telemetry is off: only the debug output, whatever OTEL_* say,
		// since any other exporter would send.
		tracesVar, metricsVar = "", ""
		for _, k := range []string{envexport.TracesVar, envexport.MetricsVar} {
			if os.Getenv(k) != "" {
				fmt.Fprintf(cfg.stderr, "elmo: telemetry is off: %s is ignored, events are only printed\n", k)
			}
		}
	}
	traces, err := envexport.Parse(envexport.TracesVar, tracesVar)
	if err != nil {
		return t.fail(ctx, fmt.Errorf("otelsetup: %w", err))
	}
	metrics, err := envexport.Parse(envexport.MetricsVar, metricsVar)
	if err != nil {
		return t.fail(ctx, fmt.Errorf("otelsetup: %w", err))
	}
	for _, c := range []envexport.Choice{traces, metrics} {
		if c != envexport.Default && c != envexport.None && t.chosen == "" {
			t.chosen = string(c)
		}
	}
	var posthog exporter.Sender // nil when events cannot go to PostHog
	if traces == envexport.Default || metrics == envexport.Default {
		s, err := t.postHogSender(ctx)
		if err != nil {
			return err
		}
		posthog = s
	}
	switch {
	case traces != envexport.Default:
		t.exporter = string(traces)
	case posthog == nil:
		t.exporter = ExporterNoKey
	case cfg.debug():
		t.exporter = ExporterDebug
	default:
		t.exporter = ExporterPostHog
	}

	spanExp, err := envexport.NewSpanExporter(ctx, traces, os.Getenv, cfg.stdout)
	switch {
	case err != nil:
		return t.fail(ctx, fmt.Errorf("otelsetup: cannot create the span exporter (check OTEL_TRACES_EXPORTER): %w", err))
	case traces == envexport.Default && posthog != nil:
		exp, err := exporter.NewSpanExporter(posthog)
		if err != nil {
			return t.fail(ctx, fmt.Errorf("otelsetup: %w", err))
		}
		spanExp = exp
	case spanExp == nil:
		spanExp = exporter.Noop{}
	}
	filterOpts := []processors.FilterOption{processors.WithPolicy(cfg.policy)}
	if t.debugOut != nil {
		// Debug output says what the gate removed and why: after each
		// event for what it removed from it, at once for a span or
		// instrument removed whole. Never a removed value.
		filterOpts = append(filterOpts, processors.WithDropNotes(func(note string) {
			fmt.Fprintf(t.debugOut, "%s%s\n", exporter.NotePrefix, note)
		}))
	}
	metricFilter, err := processors.NewMetricFilter(filterOpts...)
	if err != nil {
		_ = spanExp.Shutdown(ctx)
		return t.fail(ctx, fmt.Errorf("otelsetup: %w", err))
	}
	// Metrics are filtered once per export, by a wrapper around the
	// exporter, which keeps Add as fast as a bare SDK's and lets the gate
	// rewrite values (a model's public name) and drop the resource
	// attributes the SDK merges from the environment, on every route.
	metricExp, err := envexport.NewMetricExporter(ctx, metrics, os.Getenv, cfg.stdout)
	if err != nil {
		_ = spanExp.Shutdown(ctx)
		return t.fail(ctx, fmt.Errorf("otelsetup: cannot create the metric exporter (check OTEL_METRICS_EXPORTER): %w", err))
	}
	if metrics == envexport.Default && posthog != nil {
		exp, err := exporter.NewMetricExporter(posthog)
		if err != nil {
			_ = spanExp.Shutdown(ctx)
			return t.fail(ctx, fmt.Errorf("otelsetup: %w", err))
		}
		metricExp = exp
	}
	var reader sdkmetric.Reader
	if metricExp == nil {
		// Nothing to send: a reader that is never read.
		reader = sdkmetric.NewManualReader()
	} else {
		// One interval for every route, given explicitly, so that the
		// SDK's own reading of the variable never applies: PostHog bills
		// per event, and a gateway passes each one on.
		interval := t.metricInterval()
		reader = sdkmetric.NewPeriodicReader(metricFilter.Exporter(metricExp), sdkmetric.WithInterval(interval))
	}
	metricOpts := metricFilter.ExportOptions()

	filter, err := processors.NewSpanFilter(sdktrace.NewBatchSpanProcessor(spanExp), filterOpts...)
	if err != nil {
		return t.fail(ctx, fmt.Errorf("otelsetup: %w", err))
	}
	t.tp = sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(filter))
	t.mp = sdkmetric.NewMeterProvider(append(metricOpts,
		sdkmetric.WithResource(res), sdkmetric.WithReader(reader))...)
	otel.SetTracerProvider(t.tp)
	otel.SetMeterProvider(t.mp)

	if t.spooling() && t.backlog != nil {
		t.replaySpool()
	}
	return nil
}

// postHogSender returns the Sender of the PostHog exporters, or nil when
// this build has no key: in the CLI role, the spool (the command never
// waits on the network: a background sender delivers it); in a
// deployment, a Backlog in front of the Client, which keeps what an
// outage held and sends it with the next export; with ELMO_TELEMETRY_DEBUG,
// the Client that prints.
func (t *Telemetry) postHogSender(ctx context.Context) (exporter.Sender, error) {
	cfg := t.cfg
	if cfg.role == RoleCLI && !cfg.debug() && !t.preview {
		if PostHogKey(cfg.getenv) == "" {
			return nil, nil
		}
		// The settings are checked now, in the foreground, where a bad
		// value can be reported; the client itself is the sender's.
		if _, err := t.newClient(false); err != nil {
			return nil, err
		}
		if cfg.legacySpool != "" {
			t.prepareSpool(ctx)
		}
		t.sink = &spoolSink{}
		return t.sink, nil
	}
	c, err := t.newClient(true)
	if err != nil || c == nil {
		return nil, err
	}
	t.client = c
	if cfg.debug() || cfg.role == RoleCLI {
		return c, nil
	}
	b, err := exporter.NewBacklog(c, spool.MaxEvents)
	if err != nil {
		return nil, fmt.Errorf("otelsetup: %w", err)
	}
	t.backlog = b
	return b, nil
}

// metricInterval returns the interval of the metric reader, and reports
// in one line an OTEL_METRIC_EXPORT_INTERVAL it refuses.
func (t *Telemetry) metricInterval() time.Duration {
	v := os.Getenv(metricIntervalVar)
	d, err := metricInterval(t.cfg.role, v)
	if err == nil {
		return d
	}
	// err names the variable and its value.
	if t.cfg.role == RoleCLI {
		fmt.Fprintf(t.cfg.stderr, "elmo: %v; the value is refused, and metrics are exported when the command exits, as by default\n", err)
	} else {
		t.cfg.logger.Warn("telemetry: a setting is refused and its default kept",
			"reason", err.Error(), "interval", d.String())
	}
	return d
}

// fail releases what build made before err.
func (t *Telemetry) fail(ctx context.Context, err error) error {
	if t.client != nil {
		_ = t.client.Shutdown(ctx)
	}
	return err
}

// newClient returns a PostHog client for this process: debug output when
// ELMO_TELEMETRY_DEBUG is set, else the capture API with the key in use.
// With no key it returns nil. spooling says whether this client's
// deliveries go to the telemetry log.
func (t *Telemetry) newClient(spooling bool) (*exporter.Client, error) {
	cfg := t.cfg
	var opts []exporter.Option
	if cfg.debug() {
		opts = []exporter.Option{exporter.WithLogger(cfg.logger), exporter.WithDebug(t.debugOut)}
	} else {
		var err error
		if opts, err = cfg.captureOptions(); err != nil || opts == nil {
			return nil, err
		}
	}
	if spooling && cfg.sentLog != "" && !cfg.debug() && !t.preview {
		log, err := sentlog.New(cfg.sentLog)
		if err != nil {
			return nil, fmt.Errorf("otelsetup: %w", err)
		}
		t.sent = log
		record := log.Add
		if cfg.role == RoleDeployment {
			// A service runs for long: its record is written as it goes,
			// from the goroutine that delivered the batch.
			record = func(sent []exporter.Sent, dropped []exporter.Drop) {
				log.Add(sent, dropped)
				ctx, cancel := context.WithTimeout(context.Background(), sentLogWait)
				defer cancel()
				if err := log.Write(ctx); err != nil {
					cfg.logger.Debug("cannot write the telemetry log", "error", err)
				}
			}
		}
		opts = append(opts, exporter.WithDeliveryRecord(record))
	}
	c, err := exporter.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("otelsetup: cannot create the PostHog client (check ELMO_POSTHOG_HOST): %w", err)
	}
	return c, nil
}

// captureOptions returns the client options that send to the capture
// API the settings name (ELMO_POSTHOG_KEY, ELMO_POSTHOG_HOST,
// ELMO_POSTHOG_CAPTURE), or nil when there is no key.
func (c config) captureOptions() ([]exporter.Option, error) {
	key := PostHogKey(c.getenv)
	if key == "" {
		return nil, nil
	}
	api, err := exporter.ParseCaptureAPI(c.getenv(VarPostHogCapture))
	if err != nil {
		return nil, fmt.Errorf("otelsetup: check ELMO_POSTHOG_CAPTURE: %w", err)
	}
	return []exporter.Option{exporter.WithLogger(c.logger), exporter.WithHost(postHogHost(c.getenv)),
		exporter.WithAPIKey(key), exporter.WithCaptureAPI(api)}, nil
}

// prepareSpool readies the CLI's default spool before the client is made:
// the events of a spool at the old location, beside config.json, move
// into it and the old file goes. When the spool's directory cannot be
// used (a file stands in its place), this run keeps no spool, and the
// command goes on.
func (t *Telemetry) prepareSpool(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, sentLogWait)
	defer cancel()
	if err := spool.Migrate(ctx, t.cfg.legacySpool, t.cfg.spoolPath, t.cfg.policy); err != nil {
		t.cfg.logger.Warn("telemetry events that cannot be delivered will not be kept", "error", err)
		t.cfg.spoolPath = ""
	}
}

// replaySpool hands the events an earlier run of a deployment service
// could not deliver to its backlog, and sends them in the background at
// once. Shutdown rewrites the spool with what is still held then.
func (t *Telemetry) replaySpool() {
	events, dropped, err := spool.Read(t.cfg.spoolPath, t.cfg.policy)
	if err != nil {
		t.cfg.logger.Warn("cannot read the telemetry spool", "error", err)
		return
	}
	if dropped > 0 {
		// Never sent; Shutdown rewrites the spool without them.
		t.cfg.logger.Warn("telemetry spool lines dropped: not in the catalog or not of this version", "count", dropped)
		t.mu.Lock()
		t.spoolDropped = dropped
		t.mu.Unlock()
	}
	if len(events) == 0 {
		return
	}
	t.mu.Lock()
	t.replayed = events
	t.mu.Unlock()
	t.backlog.Keep(events...)
	ctx, cancel := context.WithCancel(context.Background())
	t.stopReplay, t.replayDone = cancel, make(chan struct{})
	go func() {
		defer close(t.replayDone)
		_ = t.backlog.Send(ctx)
	}()
}

// showNotice prints the first-run notice and records that it was shown.
func (t *Telemetry) showNotice(ctx context.Context, store *configfile.Store) {
	fmt.Fprint(t.cfg.stderr, Notice)
	if _, err := store.RecordNotice(ctx, consent.NoticeVersion); err != nil {
		fmt.Fprintf(t.cfg.stderr, "elmo: could not record that the notice was shown: %v\n", err)
		return
	}
	t.noticeShown = true
}

// PageURL is the address of the telemetry page: what Elmo collects, how
// to turn it off and how to see what is sent.
const PageURL = "https://github.com/elmohq/telemetry/blob/main/docs/telemetry.md"

// sentLogWait bounds the wait for the lock of the telemetry log and of
// the spool, which other runs hold only while they rewrite a small file.
const sentLogWait = 50 * time.Millisecond

// Notice is the first-run notice the CLI shows on an interactive terminal
// before it ever sends anything.
const Notice = `
Elmo collects anonymous usage data to learn which features are used:
command names, version, OS, architecture, a random install ID, and a few
non-secret options. PostHog, which receives the events, sees your IP
address and uses it for an approximate location. It never collects API
keys, .env contents, prompts, brand names, responses, file paths or
hostnames. Nothing was sent now.

  elmo telemetry status     what is collected and the current state
  elmo telemetry disable    turn it off (or set DISABLE_TELEMETRY=1)

Learn more: ` + PageURL + `

`

// Decision is whether telemetry is on for a process, which rule decided,
// and a sentence for the user saying why.
type Decision struct {
	// Enabled reports whether telemetry is on.
	Enabled bool
	// Source names the rule that decided, as `elmo telemetry status`
	// shows it: "env DISABLE_TELEMETRY", "env DO_NOT_TRACK",
	// "env OTEL_SDK_DISABLED", "config", "error", "not yet asked" or
	// "default".
	Source string
	// Reason is a sentence for the user saying why.
	Reason string
}

// String returns "on" or "off" with the source and the reason.
func (d Decision) String() string {
	state := "off"
	if d.Enabled {
		state = "on"
	}
	return fmt.Sprintf("%s (%s: %s)", state, d.Source, d.Reason)
}

// Decision returns the consent decision made by Start.
func (t *Telemetry) Decision() Decision {
	return Decision{Enabled: t.decision.Enabled, Source: string(t.decision.Source), Reason: t.decision.Reason}
}

// Enabled reports whether telemetry is on for this process.
func (t *Telemetry) Enabled() bool { return t.decision.Enabled }

// NoticeShown reports whether this run showed the first-run notice (and
// so sends nothing).
func (t *Telemetry) NoticeShown() bool { return t.noticeShown }

// InstallID returns the CLI's install ID, "" when there is none or
// telemetry is off.
func (t *Telemetry) InstallID() string { return t.installID }

// Debug reports whether ELMO_TELEMETRY_DEBUG asks to print each event
// on stderr instead of sending it. Then nothing is sent, the newsletter
// signup included.
func (t *Telemetry) Debug() bool { return t.cfg.debug() }

// Exporter names where events go: "posthog", "posthog (no key)",
// "debug", an OTEL_TRACES_EXPORTER value such as "otlp", "console" or
// "none", or "off".
func (t *Telemetry) Exporter() string { return t.exporter }

// NewPostHogClient returns a new PostHog client for an event the program
// sends itself, outside the pipeline, such as the newsletter signup, which
// goes out even when telemetry is off. It sends to the capture host, with
// the project key and capture API, of this process (ELMO_POSTHOG_HOST,
// ELMO_POSTHOG_KEY, ELMO_POSTHOG_CAPTURE); with ELMO_TELEMETRY_DEBUG it
// prints each event on stderr and sends nothing. It keeps nothing for a
// later run: no spool, no record in the telemetry log. It returns
// ErrNoPostHogKey when no project key is configured. The caller shuts the
// client down.
func (t *Telemetry) NewPostHogClient() (*exporter.Client, error) {
	c, err := t.newClient(false)
	if err == nil && c == nil {
		err = ErrNoPostHogKey
	}
	return c, err
}

// Shutdown flushes and stops the pipeline. In the CLI role it writes the
// command's events to the spool within the exit budget and starts the
// background sender, never waiting on the network. A deployment service
// delivers what its providers hold within ctx, and keeps what was not
// delivered in its spool for its next start. Calls after the first do
// nothing.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	if t.shutdown || t.tp == nil {
		t.shutdown = true
		t.mu.Unlock()
		return nil
	}
	t.shutdown = true
	t.mu.Unlock()

	if t.cfg.role == RoleCLI {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.cfg.exitBudget)
		defer cancel()
	}
	// When local files are written (the spool, the record of what was
	// sent), delivery stops a little before the deadline, so that the
	// writes fit inside it too.
	deliverCtx := ctx
	if dl, ok := ctx.Deadline(); ok && (t.spooling() || t.sent != nil) {
		reserve := min(time.Until(dl)/10, spoolReserve)
		var cancel context.CancelFunc
		deliverCtx, cancel = context.WithDeadline(ctx, dl.Add(-reserve))
		defer cancel()
	}
	if t.stopReplay != nil {
		t.stopReplay()
		<-t.replayDone
	}
	// The exporters deliver inside the providers' Shutdown; both run at
	// once, so that a slow delivery of spans cannot use up the time of
	// the counters.
	var wg sync.WaitGroup
	var tpErr, mpErr error
	wg.Add(2)
	go func() { defer wg.Done(); tpErr = t.tp.Shutdown(deliverCtx) }()
	go func() { defer wg.Done(); mpErr = t.mp.Shutdown(deliverCtx) }()
	wg.Wait()
	err := errors.Join(tpErr, mpErr)
	if t.backlog != nil && t.backlog.Len() > 0 {
		// One last attempt for what an outage held, or what the
		// replay of the spool had not sent yet.
		err = errors.Join(err, t.backlog.Send(deliverCtx))
	}
	if t.client != nil {
		err = errors.Join(err, t.client.Shutdown(deliverCtx))
	}
	t.reportExportError(err)
	// The local files are small: they are written within what is left of
	// the deadline, even when the caller's context was cancelled, and
	// within spoolReserve without a deadline.
	var (
		fileCtx     context.Context
		cancelFiles context.CancelFunc
	)
	if dl, ok := ctx.Deadline(); ok {
		fileCtx, cancelFiles = context.WithDeadline(context.WithoutCancel(ctx), dl)
	} else {
		fileCtx, cancelFiles = context.WithTimeout(context.WithoutCancel(ctx), spoolReserve)
	}
	defer cancelFiles()
	if t.sent != nil {
		if werr := t.sent.Write(fileCtx); werr != nil {
			t.cfg.logger.Debug("cannot write the telemetry log", "error", werr)
		}
	}
	if !t.spooling() {
		return err
	}
	// What was not delivered goes to the spool: for a deployment, running
	// out of time is how it stops on time, not an error.
	err = dropSpooled(err)
	var kept []exporter.Event
	switch {
	case t.sink != nil:
		kept = t.sink.take()
	case t.backlog != nil:
		kept = t.backlog.Take()
	}
	t.mu.Lock()
	replayed, rewrite := t.replayed, t.spoolDropped > 0
	t.mu.Unlock()
	uerr := spool.Update(fileCtx, t.cfg.spoolPath, t.cfg.policy, replayed, kept, rewrite)
	if t.sink != nil && uerr == nil {
		t.startSender()
	}
	return errors.Join(err, uerr)
}

// spoolReserve is the most of a Shutdown deadline kept for writing the
// spool: a tenth of what is left, at most this.
const spoolReserve = 30 * time.Millisecond

// ForceFlush exports what the tracer and meter providers hold now: the
// spans ended so far and the counters and gauges as they stand, the way
// the periodic export would. It waits for delivery up to ctx. With
// telemetry off it does nothing.
func (t *Telemetry) ForceFlush(ctx context.Context) error {
	t.mu.Lock()
	done := t.shutdown || t.tp == nil
	t.mu.Unlock()
	if done {
		return nil
	}
	return errors.Join(t.tp.ForceFlush(ctx), t.mp.ForceFlush(ctx))
}

// noteExportError keeps the first error of an exporter the person chose
// with OTEL_*_EXPORTER, for reportExportError.
func (t *Telemetry) noteExportError(err error) {
	if t.chosen == "" || err == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.exportErr == nil {
		t.exportErr = err
	}
}

// reportExportError prints, in the CLI, one line on stderr when an
// exporter the person chose to debug with failed: they asked to see the
// telemetry, so a dead endpoint must not pass in silence. The PostHog
// route stays silent.
func (t *Telemetry) reportExportError(shutdownErr error) {
	if t.cfg.role != RoleCLI || t.chosen == "" {
		return
	}
	t.mu.Lock()
	err := t.exportErr
	t.mu.Unlock()
	if err == nil {
		// Not the PostHog client's: it serves the signal left unset.
		for _, e := range flatten(shutdownErr) {
			if !errors.As(e, new(*exporter.SendError)) && !errors.Is(e, exporter.ErrClosed) {
				err = e
				break
			}
		}
	}
	if err == nil {
		return
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	fmt.Fprintf(t.cfg.stderr, "elmo: telemetry was not exported (OTEL_*_EXPORTER=%s): %s\n", t.chosen, msg)
}

// spooling reports whether events go to the spool: when there is a spool
// path (the CLI's by default, a deployment's with WithSpoolPath) and
// events go to PostHog. The CLI writes all its events there, for the
// background sender; a deployment, what it could not deliver.
func (t *Telemetry) spooling() bool {
	return t.cfg.spoolPath != "" && t.exporter == ExporterPostHog
}

// dropSpooled removes from err the parts that only say events were not
// delivered in time, which the spool has taken care of.
func dropSpooled(err error) error {
	var keep []error
	for _, e := range flatten(err) {
		var se *exporter.SendError
		if errors.As(e, &se) || errors.Is(e, context.DeadlineExceeded) {
			continue
		}
		keep = append(keep, e)
	}
	return errors.Join(keep...)
}

// flatten splits a joined error into its parts.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
