package posthogexporter

import (
	"errors"
	"fmt"
	"net/url"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/elmohq/telemetry/exporter"
)

// Config is the exporter's configuration.
type Config struct {
	// Endpoint is the PostHog host events are sent to, such as
	// https://eu.i.posthog.com. The default is exporter.DefaultHost.
	Endpoint string `mapstructure:"endpoint"`
	// APIKey is the PostHog project API key. It is required.
	APIKey configopaque.String `mapstructure:"api_key"`
	// CaptureAPI is the capture API: "legacy" (POST /batch/, the default)
	// or "v1" (POST /i/v1/analytics/events).
	CaptureAPI string `mapstructure:"capture_api"`
	// BatchSize is how many events one HTTP request carries at most. The
	// default is 100.
	BatchSize int `mapstructure:"batch_size"`
	// Compression is whether request bodies are gzip-compressed. The
	// default is true.
	Compression bool `mapstructure:"compression"`

	// TimeoutConfig bounds each attempt of an export request: sending its
	// events (one HTTP request per batch of them) must end within it.
	TimeoutConfig exporterhelper.TimeoutConfig `mapstructure:",squash"`
	// QueueConfig is the sending queue; set its storage to a storage
	// extension (file_storage) to keep events on disk through a restart.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	// BackOffConfig retries a failed export request with backoff. It is
	// the exporter's only retry: the delivery client does not retry on its
	// own.
	BackOffConfig configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks that the configuration can be used, naming each key
// that cannot.
func (c *Config) Validate() error {
	var errs []error
	if c.APIKey == "" {
		errs = append(errs, errors.New("api_key is required: the PostHog project key"))
	}
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("endpoint %q is not an http or https URL", c.Endpoint))
	}
	if _, err := exporter.ParseCaptureAPI(c.CaptureAPI); err != nil {
		errs = append(errs, fmt.Errorf("capture_api: %w", err))
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("batch_size %d is not positive", c.BatchSize))
	}
	return errors.Join(errs...)
}

func createDefaultConfig() component.Config {
	return &Config{
		Endpoint:      exporter.DefaultHost,
		CaptureAPI:    exporter.CaptureLegacy.String(),
		BatchSize:     100,
		Compression:   true,
		TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:   configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		BackOffConfig: configretry.NewDefaultBackOffConfig(),
	}
}
