package elmofilterprocessor

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/elmohq/telemetry/processors"
)

// Type is the processor's type in a Collector configuration.
var Type = component.MustNewType("elmofilter")

// Config is the processor's configuration. It has no keys: the catalog is
// compiled into the distribution.
type Config struct {
	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate implements component.ConfigValidator.
func (*Config) Validate() error { return nil }

// NewFactory returns the factory of the elmofilter processor, which
// filters traces and metrics by the Elmo catalog.
func NewFactory() processor.Factory {
	return processor.NewFactory(Type,
		func() component.Config { return &Config{} },
		processor.WithTraces(createTraces, component.StabilityLevelBeta),
		processor.WithMetrics(createMetrics, component.StabilityLevelBeta),
	)
}

var capabilities = processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true})

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	f, err := newFilter(set, processors.DefaultPolicy())
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, f.processTraces, capabilities)
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	f, err := newFilter(set, processors.DefaultPolicy())
	if err != nil {
		return nil, err
	}
	return processorhelper.NewMetrics(ctx, set, cfg, next, f.processMetrics, capabilities)
}

// errNoPolicy is returned when the filter is made without a policy.
var errNoPolicy = errors.New("elmofilter: no policy")
