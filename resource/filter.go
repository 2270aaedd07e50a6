package resource

import (
	"context"
	"errors"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"

	"github.com/elmohq/telemetry/catalog"
)

// allowed maps every resource key that may leave the machine to its
// catalog entry, whose values or rule its value must pass. Every value is
// a string.
var allowed = func() map[attribute.Key]catalog.Property {
	m := make(map[attribute.Key]catalog.Property)
	for _, p := range catalog.Resource() {
		m[p.Key] = p
	}
	return m
}()

// AllowedKeys returns the complete list of resource attribute keys that
// may leave the machine, sorted: the keys of [catalog.Resource]. The
// caller owns the returned slice.
func AllowedKeys() []attribute.Key {
	keys := make([]attribute.Key, 0, len(allowed))
	for k := range allowed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Filter returns r reduced to the keys of AllowedKeys, each with a string
// value that passes its catalog entry: one of its values (or the entry's
// fallback, such as "other" for an unknown deployment mode, in its place),
// or a value its rule allows. Every other attribute is dropped, and so is
// a value its rule refuses: an install ID that is not a random UUID, say,
// or a version that is not one. The schema URL of r is kept. A nil r
// yields an empty resource.
//
// Filter cannot tell where a well-formed value came from. When r is a
// merge, the resource from Build must come last so that its values win,
// as the SDK's providers do with the resource they are given; an exporter
// that holds the resource from Build can simply use it.
func Filter(r *sdkresource.Resource) *sdkresource.Resource {
	if r == nil {
		return sdkresource.Empty()
	}
	kept := make([]attribute.KeyValue, 0, len(allowed))
	for iter := r.Iter(); iter.Next(); {
		kv := iter.Attribute()
		p, ok := allowed[kv.Key]
		if !ok || kv.Value.Type() != attribute.STRING {
			continue
		}
		v, ok := p.Normalize(kv.Value.AsString())
		if !ok {
			continue
		}
		kept = append(kept, attribute.String(string(kv.Key), v))
	}
	return sdkresource.NewWithAttributes(r.SchemaURL(), kept...)
}

// Build returns the resource for the telemetry pipeline: what d detects,
// reduced by Filter.
//
// Build does not merge what the SDK adds by default (resource.Default: the
// telemetry.sdk attributes, OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME).
// Every key in AllowedKeys has one source, the detector, so the
// environment could only add keys that must not leave the machine, or
// replace a checked value (an ID, the mode, the service name) with an
// unchecked one. The SDK's trace and metric providers still merge
// OTEL_RESOURCE_ATTRIBUTES into the resource they are given, under the
// detector's values; exporters therefore pass the resource of what they
// export through Filter, or use the resource returned here.
//
// The error is the detector's: one that wraps resource.ErrPartialResource
// comes with the rest of the resource; any other comes with an empty one.
func Build(ctx context.Context, d *Detector) (*sdkresource.Resource, error) {
	if d == nil {
		return sdkresource.Empty(), errors.New("resource: Build needs a Detector (create one with NewDetector)")
	}
	res, err := d.Detect(ctx)
	return Filter(res), err
}
