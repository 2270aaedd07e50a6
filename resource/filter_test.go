package resource_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/elmohq/telemetry/resource"
)

// forbidden lists resource keys that identify the machine or the person,
// or reveal paths and command lines. None may ever leave the machine.
var forbidden = []attribute.Key{
	"host.name", "host.id", "host.ip", "host.mac", "host.image.id",
	"os.description", "os.name", "os.version", "os.build_id",
	"process.executable.path", "process.executable.name",
	"process.command", "process.command_args", "process.command_line",
	"process.owner", "process.pid", "process.parent_pid",
	"process.runtime.description", "process.working_directory",
	"user.name", "user.id", "user.email", "user.full_name",
	"enduser.id", "service.instance.id", "service.namespace",
	"container.id", "k8s.pod.name", "cloud.account.id",
	"telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version",
	"deployment.environment.name",
}

// canaryEnv sets OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME to values
// that must never be exported.
func canaryEnv(t *testing.T) {
	t.Helper()
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=h-canary,process.owner=u-canary,user.email=e@canary.example")
	t.Setenv("OTEL_SERVICE_NAME", "canary")
}

// assertNoCanary fails if "canary" appears anywhere in r.
func assertNoCanary(t *testing.T, r *sdkresource.Resource) {
	t.Helper()
	if s := r.String(); strings.Contains(s, "canary") {
		t.Errorf("resource %q contains a canary", s)
	}
	for _, kv := range r.Attributes() {
		if strings.Contains(string(kv.Key), "canary") || strings.Contains(kv.Value.Emit(), "canary") {
			t.Errorf("attribute %s=%s is a canary", kv.Key, kv.Value.Emit())
		}
	}
}

// assertOnlyAllowed fails if r has a key outside AllowedKeys or one of
// the forbidden keys.
func assertOnlyAllowed(t *testing.T, r *sdkresource.Resource) {
	t.Helper()
	ok := resource.AllowedKeys()
	for _, kv := range r.Attributes() {
		if !slices.Contains(ok, kv.Key) {
			t.Errorf("key %s is not allowed", kv.Key)
		}
	}
	for _, k := range forbidden {
		if r.Set().HasValue(k) {
			t.Errorf("forbidden key %s is present", k)
		}
	}
}

func deploymentDetector(t *testing.T, vars map[string]string) *resource.Detector {
	t.Helper()
	d, err := resource.NewDetector(
		resource.WithRole(resource.RoleDeployment),
		resource.WithServiceName("elmo-web"),
		resource.WithVersion("1.2.3"),
		resource.WithGetenv(env(vars)),
	)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAllowedKeys(t *testing.T) {
	want := []attribute.Key{
		"elmo.deployment.id",
		"elmo.deployment.mode",
		"elmo.install.id",
		"host.arch",
		"os.type",
		"process.runtime.name",
		"process.runtime.version",
		"service.name",
		"service.version",
	}
	got := resource.AllowedKeys()
	if !slices.Equal(got, want) {
		t.Fatalf("AllowedKeys() = %v, want %v", got, want)
	}
	got[0] = "host.name"
	if again := resource.AllowedKeys(); !slices.Equal(again, want) {
		t.Errorf("changing the returned slice changed AllowedKeys to %v", again)
	}
	for _, k := range forbidden {
		if slices.Contains(want, k) {
			t.Errorf("forbidden key %s is allowed", k)
		}
	}
}

func TestBuildIgnoresEnvironment(t *testing.T) {
	canaryEnv(t)
	ctx := context.Background()

	t.Run("deployment", func(t *testing.T) {
		r, err := resource.Build(ctx, deploymentDetector(t, map[string]string{"DEPLOYMENT_ID": testDeploymentID}))
		if err != nil {
			t.Fatal(err)
		}
		assertNoCanary(t, r)
		assertOnlyAllowed(t, r)
		assertAttrs(t, r, with(wantCommon(t, "elmo-web", "1.2.3", "local"), "elmo.deployment.id", testDeploymentID))
	})

	t.Run("CLI", func(t *testing.T) {
		store := newStore(t)
		writeConfig(t, store, `{"telemetryId": "`+testInstallID+`"}`)
		r, err := resource.Build(ctx, newCLIDetector(t, store, false))
		if err != nil {
			t.Fatal(err)
		}
		assertNoCanary(t, r)
		assertOnlyAllowed(t, r)
		assertAttrs(t, r, with(wantCommon(t, "elmo-cli", "1.2.3", "local"), "elmo.install.id", testInstallID))
	})
}

func TestBuildEnvironmentCannotSetAllowedKeys(t *testing.T) {
	// Allowed keys in OTEL_RESOURCE_ATTRIBUTES neither replace the
	// detector's values nor fill in an ID the detector left out.
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", strings.Join([]string{
		"elmo.deployment.id=" + testInstallID,
		"elmo.install.id=" + testInstallID,
		"elmo.deployment.mode=canary",
		"service.name=canary",
		"service.version=9.9.9-canary",
		"os.type=canary",
	}, ","))
	t.Setenv("OTEL_SERVICE_NAME", "canary")

	r, err := resource.Build(context.Background(), deploymentDetector(t, nil))
	assertPartial(t, err, "DEPLOYMENT_ID", "")
	assertNoCanary(t, r)
	assertAttrs(t, r, wantCommon(t, "elmo-web", "1.2.3", "local"))
}

func TestFilterDropsWhatSDKDetectorsFind(t *testing.T) {
	canaryEnv(t)
	ctx := context.Background()

	// Every forbidden key, so that the test does not depend on what the
	// SDK's detectors can find on this machine.
	planted := make([]attribute.KeyValue, 0, len(forbidden))
	for _, k := range forbidden {
		planted = append(planted, k.String("x-canary"))
	}
	// The SDK's own detectors merged in first, as resource.New would; some
	// may fail here (no host ID in a container), which is beside the point.
	sdkRes, _ := sdkresource.New(ctx,
		sdkresource.WithHost(),
		sdkresource.WithHostID(),
		sdkresource.WithOS(),
		sdkresource.WithProcess(),
		sdkresource.WithContainer(),
		sdkresource.WithService(),
		sdkresource.WithTelemetrySDK(),
		sdkresource.WithFromEnv(),
		sdkresource.WithAttributes(planted...),
	)
	ours, err := resource.Build(ctx, deploymentDetector(t, map[string]string{"DEPLOYMENT_ID": testDeploymentID}))
	if err != nil {
		t.Fatal(err)
	}
	want := with(wantCommon(t, "elmo-web", "1.2.3", "local"), "elmo.deployment.id", testDeploymentID)

	// Ours merged last, as the SDK's providers do with the resource they
	// are given.
	merged, err := sdkresource.Merge(sdkRes, ours)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range forbidden {
		if !merged.Set().HasValue(k) {
			t.Fatalf("precondition: merged resource lacks %s", k)
		}
	}
	filtered := resource.Filter(merged)
	assertOnlyAllowed(t, filtered)
	assertNoCanary(t, filtered)
	assertAttrs(t, filtered, want)
}

func TestFilterChecksValues(t *testing.T) {
	good := map[string]string{
		"service.name":            "elmo-cli",
		"service.version":         "v0.0.0-20251127002700-60905cf1234a+dirty",
		"os.type":                 "linux",
		"host.arch":               "arm64",
		"process.runtime.name":    "go",
		"process.runtime.version": "go1.26.0",
		"elmo.deployment.mode":    "whitelabel",
		"elmo.install.id":         testInstallID,
		"elmo.deployment.id":      testDeploymentID,
	}
	// Values outside an enumeration are sent as "other".
	other := []attribute.KeyValue{
		attribute.String("service.name", "/usr/local/bin/elmo"),
		attribute.String("service.name", "jane@example.com"),
		attribute.String("os.type", "Linux jane-laptop 6.8.0"),
		attribute.String("host.arch", "x86_64 GNU/Linux"),
		attribute.String("process.runtime.name", "go version go1.26.0 /home/jane/sdk"),
		attribute.String("elmo.deployment.mode", "Whitelabel"),
		attribute.String("elmo.deployment.mode", "acmecorp-brand"),
		attribute.String("elmo.deployment.mode", "sk-proj-"+strings.Repeat("a", 40)),
	}
	for _, kv := range other {
		t.Run(string(kv.Key)+"="+kv.Value.Emit(), func(t *testing.T) {
			r := resource.Filter(sdkresource.NewSchemaless(kv))
			if v, _ := r.Set().Value(kv.Key); r.Len() != 1 || v.AsString() != "other" {
				t.Errorf("Filter kept %v, want %s=other", r, kv.Key)
			}
		})
	}
	bad := []attribute.KeyValue{
		attribute.String("service.version", "1.0 (built by jane on jane-laptop)"),
		attribute.String("service.version", "1.2.3-acmecorp"),
		attribute.String("service.version", ""),
		attribute.String("process.runtime.version", "devel go1.27-abc Tue Jan 6 2026"),
		attribute.String("elmo.install.id", "jane@example.com"),
		attribute.String("elmo.install.id", strings.ToUpper(testInstallID)),
		attribute.String("elmo.install.id", "{"+testInstallID+"}"),
		attribute.String("elmo.install.id", "00000000-0000-0000-0000-000000000000"),
		attribute.String("elmo.deployment.id", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"), // version 1
		attribute.Int("os.type", 1),
		attribute.Bool("elmo.deployment.mode", true),
		attribute.StringSlice("elmo.install.id", []string{testInstallID}),
	}
	for _, kv := range bad {
		t.Run(string(kv.Key)+"="+kv.Value.Emit(), func(t *testing.T) {
			r := resource.Filter(sdkresource.NewSchemaless(kv))
			if r.Len() != 0 {
				t.Errorf("Filter kept %v", r)
			}
		})
	}
	t.Run("good", func(t *testing.T) {
		in := make([]attribute.KeyValue, 0, len(good))
		for k, v := range good {
			in = append(in, attribute.String(k, v))
		}
		got := attrs(t, resource.Filter(sdkresource.NewSchemaless(in...)))
		if !maps.Equal(got, good) {
			t.Errorf("Filter:\n got %v\nwant %v", got, good)
		}
	})
}

func TestFilterSchemaURL(t *testing.T) {
	const url = "https://opentelemetry.io/schemas/1.43.0"
	r := resource.Filter(sdkresource.NewWithAttributes(url, attribute.String("service.name", "elmo-web"), attribute.String("host.name", "x")))
	if r.SchemaURL() != url {
		t.Errorf("SchemaURL() = %q, want %q", r.SchemaURL(), url)
	}
	if r.Len() != 1 {
		t.Errorf("Filter kept %v, want service.name only", r)
	}
	if r := resource.Filter(nil); r == nil || r.Len() != 0 {
		t.Errorf("Filter(nil) = %v, want an empty resource", r)
	}
}

func TestBuildSchemaURLMergesWithSDK(t *testing.T) {
	// The detector's schema URL is the SDK's, so merging with the SDK's
	// own resources gives no conflict.
	ours, err := resource.Build(context.Background(), deploymentDetector(t, map[string]string{"DEPLOYMENT_ID": testDeploymentID}))
	if err != nil {
		t.Fatal(err)
	}
	sdkRes, err := sdkresource.New(context.Background(), sdkresource.WithTelemetrySDK())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdkresource.Merge(sdkRes, ours); err != nil {
		t.Errorf("Merge with the SDK's resource: %v", err)
	}
}

func TestBuildNilDetector(t *testing.T) {
	r, err := resource.Build(context.Background(), nil)
	if err == nil || r == nil || r.Len() != 0 {
		t.Errorf("Build(nil) = %v, %v; want an empty resource and an error", r, err)
	}
}

// The SDK's providers merge OTEL_RESOURCE_ATTRIBUTES into the resource
// they are given. These tests show it, and that Filter undoes it: the
// reason exporters must filter the resource they receive.
func TestProvidersMergeEnvironmentAndFilterUndoesIt(t *testing.T) {
	canaryEnv(t)
	ctx := context.Background()
	ours, err := resource.Build(ctx, deploymentDetector(t, map[string]string{"DEPLOYMENT_ID": testDeploymentID}))
	if err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, got *sdkresource.Resource) {
		t.Helper()
		if v, ok := got.Set().Value("host.name"); !ok || v.AsString() != "h-canary" {
			t.Fatalf("precondition: the provider's resource %v lacks host.name from OTEL_RESOURCE_ATTRIBUTES; "+
				"if the SDK stopped merging the environment, revisit the package documentation", got)
		}
		if v, _ := got.Set().Value("service.name"); v.AsString() != "elmo-web" {
			t.Errorf("service.name = %q, want ours to win", v.AsString())
		}
		filtered := resource.Filter(got)
		assertNoCanary(t, filtered)
		assertOnlyAllowed(t, filtered)
		if !filtered.Equal(ours) {
			t.Errorf("Filter(provider resource) = %v, want %v", filtered, ours)
		}
	}

	t.Run("trace", func(t *testing.T) {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(ours), sdktrace.WithSpanProcessor(rec))
		t.Cleanup(func() { _ = tp.Shutdown(ctx) })
		_, span := tp.Tracer("test").Start(ctx, "cli_test")
		span.End()
		ended := rec.Ended()
		if len(ended) != 1 {
			t.Fatalf("%d spans ended, want 1", len(ended))
		}
		check(t, ended[0].Resource())
	})

	t.Run("metric", func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(ours), sdkmetric.WithReader(reader))
		t.Cleanup(func() { _ = mp.Shutdown(ctx) })
		counter, err := mp.Meter("test").Int64Counter("prompt_runs")
		if err != nil {
			t.Fatal(err)
		}
		counter.Add(ctx, 1)
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		check(t, rm.Resource)
	})
}
