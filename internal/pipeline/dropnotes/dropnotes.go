// Package dropnotes carries the gate's notes on the data points of one
// metric export, from the filter in processors (processors.WithDropNotes)
// to the exporter that prints them after each event in debug output
// (exporter.WithDebug). Neither package imports the other; both import
// this one, so that the hand-over is no part of their public API.
package dropnotes

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
)

// Points returns the notes on the data point of the metric called name
// whose attributes, as exported, are attrs: what the gate removed from
// it, one sentence each, never a removed value.
type Points func(metric string, attrs attribute.Set) []string

type key struct{}

// NewContext returns ctx carrying the notes of the export it is given to.
func NewContext(ctx context.Context, notes Points) context.Context {
	return context.WithValue(ctx, key{}, notes)
}

// FromContext returns the notes ctx carries, or nil.
func FromContext(ctx context.Context) Points {
	notes, _ := ctx.Value(key{}).(Points)
	return notes
}
