// Package localentry extends the catalog with entries of its own, as a
// program that passes them to otelsetup.WithPolicy does.
package localentry

import (
	"context"

	"github.com/elmohq/telemetry/catalog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

const formatKey = attribute.Key("format")

var reportsExported = catalog.Event{
	Name: "reports_exported",
	Kind: catalog.KindCounter,
	Properties: []catalog.Property{{
		Key:    formatKey,
		Type:   catalog.TypeString,
		Values: []string{"csv", "pdf"},
	}},
}

var formats = []string{"csv", "json"}

var exportEvent = catalog.Event{
	Name: "cli_export",
	Kind: catalog.KindSpan,
	Properties: []catalog.Property{
		{Key: catalog.KeyExitCode, Type: catalog.TypeInt},
		{Key: formatKey, Type: catalog.TypeString, Values: formats},
	},
}

var opaque = catalog.Event{Name: "opaque_span", Kind: catalog.KindSpan, Properties: properties()}

func properties() []catalog.Property { return nil }

func use(ctx context.Context, meter metric.Meter, tracer trace.Tracer) {
	c, _ := meter.Int64Counter("reports_exported")
	c.Add(ctx, 1, metric.WithAttributes(formatKey.String("csv")))
	c.Add(ctx, 1, metric.WithAttributes(formatKey.String("xlsx")))      // want `value "xlsx" of attribute "format" is not one of its values in catalog entry reports_exported \(csv, pdf\), so it is dropped: use one of them, or add it to the property's Values in its catalog.Event literal in this package`
	c.Add(ctx, 1, metric.WithAttributes(attribute.String("user", "x"))) // want `attribute "user" is not allowed on counter "reports_exported"`

	_, span := tracer.Start(ctx, "cli_export")
	span.SetAttributes(formatKey.String("xlsx"))                // values from a variable: not known, not reported
	span.SetAttributes(attribute.String("output_path", "/tmp")) // want `attribute "output_path" is not allowed on span "cli_export".*in its catalog.Event literal in this package`

	// An entry whose properties cannot be read allows every key.
	_, o := tracer.Start(ctx, "opaque_span")
	o.SetAttributes(attribute.String("anything", "x"))
}
