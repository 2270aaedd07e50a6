// Package envexport builds the exporters that the standard OpenTelemetry
// variables OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER choose for
// local debugging: OTLP over HTTP, the console, or none.
//
// It replaces the contrib autoexport package for Elmo's programs, which
// would link gRPC and Prometheus into every command, telemetry on or off,
// and would build metric readers that cannot be wrapped. Here every
// exporter is returned bare, so the caller puts the catalog gate in front
// of it. The OTLP exporters are this package's own, OTLP/HTTP with
// protobuf encoded by hand: the OpenTelemetry OTLP exporters link gRPC and
// the protobuf runtime, some 16 MB of every binary and a millisecond of
// every start, for a debugging route. They read the standard
// OTEL_EXPORTER_OTLP_* variables (see otlpClient) and refuse a value they
// do not support with an error that names the variable.
package envexport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Choice is the exporter a variable selects.
type Choice string

// The choices. Default means the variable is unset or empty: the caller's
// own exporter (PostHog) applies.
const (
	Default Choice = ""
	OTLP    Choice = "otlp"
	Console Choice = "console"
	None    Choice = "none"
)

// Names of the variables.
const (
	TracesVar  = "OTEL_TRACES_EXPORTER"
	MetricsVar = "OTEL_METRICS_EXPORTER"
)

// ErrUnsupported is wrapped by the errors for a value this build does not
// support.
var ErrUnsupported = errors.New("unsupported exporter setting")

// Parse returns the choice that the value of the variable name makes.
// Values are trimmed and compared without case, as the OpenTelemetry
// specification asks.
func Parse(name, value string) (Choice, error) {
	switch c := Choice(strings.ToLower(strings.TrimSpace(value))); c {
	case Default, OTLP, Console, None:
		return c, nil
	default:
		return Default, fmt.Errorf("%w: %s=%q: this build supports otlp, console and none (or unset, for Elmo's default)",
			ErrUnsupported, name, value)
	}
}

// protocol checks the OTLP protocol set for the signal: only http/protobuf,
// the default, is built in.
func protocol(getenv func(string) string, signalVar string) error {
	for _, k := range []string{signalVar, "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		v := strings.ToLower(strings.TrimSpace(getenv(k)))
		if v == "" {
			continue
		}
		if v != "http/protobuf" {
			return fmt.Errorf("%w: %s=%q: this build sends OTLP over http/protobuf only (unset it, or set http/protobuf)",
				ErrUnsupported, k, getenv(k))
		}
		return nil
	}
	return nil
}

// Option configures the OTLP exporters that NewSpanExporter and
// NewMetricExporter return.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// config is the configuration that the options set.
type config struct {
	logger *slog.Logger
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			c = o.apply(c)
		}
	}
	return c
}

// WithLogger sets the logger to which the OTLP exporters report, as
// warnings, what they could not deliver: that the hold of undelivered
// requests is full and drops its oldest (once an outage), how many it
// dropped (when the endpoint answers again), the first partial success,
// and at Shutdown, in one line, what is lost. None is repeated per
// export. Without it, or with nil, these reports go to otel.Handle. An
// export's own errors are returned, not logged.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c config) config {
		c.logger = l
		return c
	})
}

// NewSpanExporter returns the span exporter of choice c, or nil for
// Default and None. getenv reads the OTEL_EXPORTER_OTLP_* variables;
// stdout is where the console exporter writes. A variable whose value
// cannot be used (OTEL_EXPORTER_OTLP_TIMEOUT=-1, say) is an error that
// names it.
//
// The OTLP exporter retries what the OTLP/HTTP specification calls
// retryable (429, 502, 503, 504 and network errors) with exponential
// backoff and jitter, honouring Retry-After, within the export's context
// and OTEL_EXPORTER_OTLP_TIMEOUT (default 10 s). What it could not deliver
// is held in memory, bounded, and sent first by the next export; what is
// held at Shutdown after one last attempt is lost, and logged.
func NewSpanExporter(ctx context.Context, c Choice, getenv func(string) string, stdout io.Writer, opts ...Option) (sdktrace.SpanExporter, error) {
	switch c {
	case OTLP:
		if err := protocol(getenv, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"); err != nil {
			return nil, err
		}
		c, err := newOTLPClient(getenv, "TRACES", "/v1/traces", "spans", newConfig(opts))
		if err != nil {
			return nil, fmt.Errorf("cannot create the OTLP span exporter: %w", err)
		}
		return &otlpSpanExporter{c: c}, nil
	case Console:
		return stdouttrace.New(stdouttrace.WithWriter(stdout))
	case Default, None:
		return nil, nil
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupported, string(c))
	}
}

// NewMetricExporter returns the metric exporter of choice c, or nil for
// Default and None. Its temporality is delta, like the PostHog exporter's,
// so that every route shows the same numbers. The OTLP exporter delivers
// as NewSpanExporter's does; each request it holds is its own delta, sent
// in order, so that a count held through an outage arrives once.
func NewMetricExporter(ctx context.Context, c Choice, getenv func(string) string, stdout io.Writer, opts ...Option) (sdkmetric.Exporter, error) {
	delta := func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }
	switch c {
	case OTLP:
		if err := protocol(getenv, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"); err != nil {
			return nil, err
		}
		c, err := newOTLPClient(getenv, "METRICS", "/v1/metrics", "data points", newConfig(opts))
		if err != nil {
			return nil, fmt.Errorf("cannot create the OTLP metric exporter: %w", err)
		}
		return &otlpMetricExporter{c: c}, nil
	case Console:
		return stdoutmetric.New(stdoutmetric.WithWriter(stdout), stdoutmetric.WithTemporalitySelector(delta))
	case Default, None:
		return nil, nil
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupported, string(c))
	}
}
