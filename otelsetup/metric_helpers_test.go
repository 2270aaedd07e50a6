package otelsetup_test

import "go.opentelemetry.io/otel/metric"

type metricOption = metric.AddOption

var metricWithAttributes = metric.WithAttributes
