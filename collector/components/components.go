// Package components lists the components of the elmo-collector
// distribution, as its builder manifest (builder-config.yaml) does: the
// OTLP receiver, the elmofilter and batch processors, the posthog and
// debug exporters and the file_storage extension. Tests run the
// distribution's pipeline in process with them.
package components

import (
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/elmohq/telemetry/collector/elmofilterprocessor"
	"github.com/elmohq/telemetry/collector/posthogexporter"
)

// Factories returns the factories of the elmo-collector distribution.
func Factories() (otelcol.Factories, error) {
	var (
		f   otelcol.Factories
		err error
	)
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](elmofilterprocessor.NewFactory(), batchprocessor.NewFactory()); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](posthogexporter.NewFactory(), debugexporter.NewFactory()); err != nil {
		return f, err
	}
	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](filestorage.NewFactory()); err != nil {
		return f, err
	}
	f.Telemetry = otelconftelemetry.NewFactory()
	return f, nil
}

// BuildInfo describes the distribution.
var BuildInfo = component.BuildInfo{
	Command:     "elmo-collector",
	Description: "Elmo's OpenTelemetry Collector distribution: OTLP in, the Elmo catalog gate, PostHog out",
	Version:     "0.1.0",
}
