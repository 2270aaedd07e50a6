package resource

import (
	"context"
	"errors"
	"regexp"
	"slices"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

var (
	serviceNameRE    = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,63}$`)
	versionRE        = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$`)
	deploymentModeRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	platformRE       = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	runtimeVersionRE = regexp.MustCompile(`^[a-z][a-z0-9.+_-]{0,63}$`)
)

func validServiceName(s string) bool    { return serviceNameRE.MatchString(s) }
func validVersion(s string) bool        { return versionRE.MatchString(s) }
func validDeploymentMode(s string) bool { return deploymentModeRE.MatchString(s) }
func validPlatform(s string) bool       { return platformRE.MatchString(s) }
func validRuntimeVersion(s string) bool { return runtimeVersionRE.MatchString(s) }

// validRandomUUID reports whether s is a version 4 UUID in canonical form.
func validRandomUUID(s string) bool {
	id, ok := canonicalRandomUUID(s)
	return ok && id == s
}

// canonicalRandomUUID parses s as a version 4 (random) UUID of the RFC
// 4122 variant and returns it in canonical lowercase form. Other versions
// are refused: version 1 and 6 UUIDs embed a network card's address.
func canonicalRandomUUID(s string) (string, bool) {
	id, err := uuid.Parse(s)
	if err != nil || id.Version() != 4 || id.Variant() != uuid.RFC4122 {
		return "", false
	}
	return id.String(), true
}

// allowed maps every resource key that may leave the machine to the check
// its value must pass. Every value is a string.
var allowed = map[attribute.Key]func(string) bool{
	semconv.ServiceNameKey:           validServiceName,
	semconv.ServiceVersionKey:        validVersion,
	semconv.OSTypeKey:                validPlatform,
	semconv.HostArchKey:              validPlatform,
	semconv.ProcessRuntimeNameKey:    validPlatform,
	semconv.ProcessRuntimeVersionKey: validRuntimeVersion,
	DeploymentModeKey:                validDeploymentMode,
	InstallIDKey:                     validRandomUUID,
	DeploymentIDKey:                  validRandomUUID,
}

// AllowedKeys returns the complete list of resource attribute keys that
// may leave the machine, sorted. The caller owns the returned slice.
func AllowedKeys() []attribute.Key {
	keys := make([]attribute.Key, 0, len(allowed))
	for k := range allowed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Filter returns r reduced to the keys of AllowedKeys, each with a string
// value of the expected shape; every other attribute is dropped. A value
// that fails its check is dropped with its key: an install ID that is not
// a random UUID, say, or a service name that looks like a path. The
// schema URL of r is kept. A nil r yields an empty resource.
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
		valid, ok := allowed[kv.Key]
		if !ok || kv.Value.Type() != attribute.STRING || !valid(kv.Value.AsString()) {
			continue
		}
		kept = append(kept, kv)
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
