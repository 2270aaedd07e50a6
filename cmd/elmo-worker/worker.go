package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/deployment"
	"github.com/elmohq/telemetry/internal/app/provider"
	"github.com/elmohq/telemetry/internal/app/store"
)

// instrumentationName names this program's tracer and meter.
const instrumentationName = "github.com/elmohq/telemetry/cmd/elmo-worker"

// batchSize is how many due prompts one cycle takes at most; the rest
// wait for the next cycle.
const batchSize = 100

// worker runs due prompts on their providers.
type worker struct {
	store    *store.Store
	clients  map[string]*provider.Client
	settings deployment.Settings
	log      *slog.Logger
	backoff  *backoff // per provider and model, after 429 and 5xx

	tracer         trace.Tracer
	promptRuns     metric.Int64Counter
	providerErrors metric.Int64Counter

	// reported holds, for each prompt whose first round is being retried,
	// that round's start: its prompt_processed event has been sent, and a
	// retry must not send another. An entry leaves when the prompt is
	// rescheduled.
	reported map[int64]time.Time
}

func newWorker(st *store.Store, clients map[string]*provider.Client, settings deployment.Settings, log *slog.Logger) (*worker, error) {
	meter := otel.Meter(instrumentationName)
	runs, err := meter.Int64Counter(catalog.EventPromptRuns,
		metric.WithDescription("Prompt runs against a provider and model, by outcome."),
		metric.WithUnit("{run}"))
	if err != nil {
		return nil, fmt.Errorf("creating the %s counter: %w", catalog.EventPromptRuns, err)
	}
	errs, err := meter.Int64Counter(catalog.EventProviderErrors,
		metric.WithDescription("Failed provider requests, by provider and class of error."),
		metric.WithUnit("{error}"))
	if err != nil {
		return nil, fmt.Errorf("creating the %s counter: %w", catalog.EventProviderErrors, err)
	}
	return &worker{
		store:          st,
		clients:        clients,
		settings:       settings,
		log:            log,
		backoff:        newBackoff(settings.WorkerInterval),
		tracer:         otel.Tracer(instrumentationName),
		promptRuns:     runs,
		providerErrors: errs,
		reported:       make(map[int64]time.Time),
	}, nil
}

// loop runs a cycle at once and then every WorkerInterval until ctx ends.
func (w *worker) loop(ctx context.Context) {
	t := time.NewTicker(w.settings.WorkerInterval)
	defer t.Stop()
	for {
		w.cycle(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cycle processes the prompts due now. Errors are logged: the next cycle
// tries again.
func (w *worker) cycle(ctx context.Context) {
	due, err := w.store.DuePrompts(ctx, time.Now(), batchSize)
	if err != nil {
		if !isShutdown(ctx, err) {
			w.log.Error("cannot list due prompts", "error", err)
		}
		return
	}
	for _, p := range due {
		if ctx.Err() != nil {
			return
		}
		w.process(ctx, p)
	}
}

// outcome is the outcome of one run of a prompt on one target.
type outcome struct {
	target store.Target
	text   string
	err    error
}

// process runs the pending targets of one prompt, concurrently, records
// their outcomes and reports them.
func (w *worker) process(ctx context.Context, p store.Prompt) {
	pending, err := w.store.PendingTargets(ctx, p)
	if err != nil {
		if !isShutdown(ctx, err) {
			w.log.Error("cannot read the answers of a prompt", "prompt", p.ID, "error", err)
		}
		return
	}
	if len(pending) == 0 {
		w.reschedule(ctx, p)
		return
	}
	// Targets whose provider asked to slow down wait for their turn; the
	// prompt stays due until every target has answered.
	pending, waiting := w.backoff.ready(pending)
	if len(pending) == 0 {
		return
	}

	start := time.Now()
	runs := make([]outcome, len(pending))
	var wg sync.WaitGroup
	for i, t := range pending {
		wg.Go(func() { runs[i] = w.runOne(ctx, p, t) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		// Shutting down: the runs were cut short, not failed. Nothing is
		// recorded or reported, and the prompt stays due for the next start.
		return
	}

	var ok, failed int
	for _, r := range runs {
		prov := telemetryProvider(r.target.Provider)
		resp := store.Response{PromptID: p.ID, Provider: r.target.Provider, Model: r.target.Model}
		retryIn := w.backoff.observe(r.target, r.err)
		if r.err == nil {
			ok++
			resp.Text = r.text
			w.promptRuns.Add(ctx, 1, metric.WithAttributes(
				catalog.KeyProvider.String(prov),
				catalog.KeyModel.String(r.target.Model),
				catalog.KeyOutcome.String(catalog.OutcomeOK)))
		} else {
			failed++
			errType := string(provider.TypeOf(r.err))
			resp.ErrorType = errType
			if retryIn == 0 {
				retryIn = w.settings.WorkerInterval
			}
			w.log.Warn("provider run failed; it will be retried",
				"prompt", p.ID, "provider", r.target.Provider, "model", r.target.Model, "retry_in", retryIn, "error", r.err)
			w.promptRuns.Add(ctx, 1, metric.WithAttributes(
				catalog.KeyProvider.String(prov),
				catalog.KeyModel.String(r.target.Model),
				catalog.KeyOutcome.String(catalog.OutcomeError)))
			w.providerErrors.Add(ctx, 1, metric.WithAttributes(
				catalog.KeyProvider.String(prov),
				catalog.KeyErrorType.String(errType)))
		}
		if _, err := w.store.AddResponse(ctx, resp); err != nil {
			w.log.Error("cannot store a response", "prompt", p.ID, "error", err)
		}
	}

	if w.firstAttempt(p) {
		w.reportFirstRound(ctx, p, start, runs, ok, failed)
	}
	w.log.Info("prompt processed", "prompt", p.ID, "runs", len(runs), "ok", ok, "failed", failed)
	if failed == 0 && waiting == 0 {
		w.reschedule(ctx, p)
	}
}

// firstAttempt reports whether this processing of p is the first attempt
// of its first round since it was created or last edited, and records
// that it was. Later rounds, and the retries of a round, are reported
// only through the prompt_runs and provider_errors counters, which the
// deployment sends as hourly sums: a deployment's events do not grow with
// the number of prompts it runs or with a provider that keeps failing.
func (w *worker) firstAttempt(p store.Prompt) bool {
	if !p.NextRunAt.Equal(p.UpdatedAt) {
		return false
	}
	if round, ok := w.reported[p.ID]; ok && round.Equal(p.NextRunAt) {
		return false
	}
	w.reported[p.ID] = p.NextRunAt
	return true
}

// reportFirstRound sends the prompt_processed event of the first round of
// a new or edited prompt, whose runs began at start.
func (w *worker) reportFirstRound(ctx context.Context, p store.Prompt, start time.Time, runs []outcome, ok, failed int) {
	// The span is started once the runs are done, back-dated to when they
	// began, so that a shutdown that cuts the runs short reports nothing.
	_, span := w.tracer.Start(ctx, catalog.EventPromptProcessed,
		trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindInternal))
	span.SetAttributes(
		catalog.KeyProviders.StringSlice(distinct(runs, func(r outcome) string { return telemetryProvider(r.target.Provider) })),
		catalog.KeyModels.StringSlice(distinct(runs, func(r outcome) string { return r.target.Model })),
		catalog.KeyTotalRuns.Int(len(runs)),
		catalog.KeySuccessfulRuns.Int(ok),
		catalog.KeyFailedRuns.Int(failed),
	)
	if failed > 0 {
		// The event's success property: false when any run failed. The
		// description is not exported, so it is left empty.
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// runOne runs prompt p on target t within the provider timeout.
func (w *worker) runOne(ctx context.Context, p store.Prompt, t store.Target) outcome {
	c, ok := w.clients[t.Provider]
	if !ok {
		return outcome{target: t, err: &provider.Error{
			Provider: t.Provider, Type: provider.TypeAuth,
			Err: fmt.Errorf("%w: set %s", provider.ErrNotConfigured, provider.EnvAPIKey(t.Provider)),
		}}
	}
	ctx, cancel := context.WithTimeout(ctx, w.settings.ProviderTimeout)
	defer cancel()
	text, err := c.Complete(ctx, t.Model, p.Text)
	return outcome{target: t, text: text, err: err}
}

// reschedule makes p due again one PromptInterval from now, since every
// target has answered in this round.
func (w *worker) reschedule(ctx context.Context, p store.Prompt) {
	delete(w.reported, p.ID)
	if err := w.store.Reschedule(ctx, p.ID, p.NextRunAt, time.Now().Add(w.settings.PromptInterval)); err != nil && !isShutdown(ctx, err) {
		w.log.Error("cannot reschedule a prompt", "prompt", p.ID, "error", err)
	}
}

// telemetryProvider returns the name telemetry may carry for a provider:
// its own when it is in the catalog's fixed list, else "other".
func telemetryProvider(name string) string {
	if slices.Contains(catalog.Providers(), name) {
		return name
	}
	return catalog.Other
}

// distinct returns the sorted distinct values of key over runs.
func distinct(runs []outcome, key func(outcome) string) []string {
	out := make([]string, 0, len(runs))
	for _, r := range runs {
		out = append(out, key(r))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
