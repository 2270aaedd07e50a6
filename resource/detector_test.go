package resource_test

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"

	"github.com/elmohq/telemetry/internal/pipeline/configfile"
	"github.com/elmohq/telemetry/resource"

	"github.com/elmohq/telemetry/catalog"
)

const (
	testDeploymentID = "9b2f4c1e-8d3a-4f6b-a7c5-1e2d3c4b5a69"
	testInstallID    = "5d8e2a71-3c4b-4e9f-8a1d-6b7c8d9e0f12"
)

// env returns a getenv that looks variables up in vars only.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// attrs returns the attributes of r as a map from key to value.
func attrs(t *testing.T, r *sdkresource.Resource) map[string]string {
	t.Helper()
	out := make(map[string]string, r.Len())
	for _, kv := range r.Attributes() {
		if kv.Value.Type() != attribute.STRING {
			t.Errorf("attribute %s has type %s, want STRING", kv.Key, kv.Value.Type())
		}
		out[string(kv.Key)] = kv.Value.Emit()
	}
	return out
}

// wantCommon returns the attributes every role reports on this machine.
func wantCommon(t *testing.T, service, version, mode string) map[string]string {
	t.Helper()
	arch, ok := map[string]string{"amd64": "amd64", "arm64": "arm64", "386": "x86", "arm": "arm32"}[runtime.GOARCH]
	if !ok {
		t.Skipf("no expected host.arch for GOARCH %s", runtime.GOARCH)
	}
	if runtime.GOOS == "dragonfly" || runtime.GOOS == "zos" {
		t.Skipf("os.type is spelled differently on %s", runtime.GOOS)
	}
	goVersion, _, _ := strings.Cut(runtime.Version(), " ")
	if !strings.HasPrefix(goVersion, "go1.") {
		t.Skipf("development toolchain %q", runtime.Version())
	}
	return map[string]string{
		"service.name":            service,
		"service.version":         version,
		"os.type":                 runtime.GOOS,
		"host.arch":               arch,
		"process.runtime.name":    "go",
		"process.runtime.version": goVersion,
		"elmo.deployment.mode":    mode,
	}
}

// with returns a copy of m with the pairs kv added.
func with(m map[string]string, kv ...string) map[string]string {
	out := maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// without returns a copy of m without keys.
func without(m map[string]string, keys ...string) map[string]string {
	out := maps.Clone(m)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func assertAttrs(t *testing.T, r *sdkresource.Resource, want map[string]string) {
	t.Helper()
	if r == nil {
		t.Fatal("resource is nil")
	}
	got := attrs(t, r)
	if !maps.Equal(got, want) {
		t.Errorf("attributes:\n got %v\nwant %v", got, want)
	}
}

// newStore returns a store for config.json in a fresh temporary directory.
// The directory does not exist yet, as on a first run.
func newStore(t *testing.T) *configfile.Store {
	t.Helper()
	return configfile.New(filepath.Join(t.TempDir(), "elmo", "config.json"))
}

// writeConfig writes config.json for store with the given content.
func writeConfig(t *testing.T, store *configfile.Store, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(store.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(store.Path(), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRoleString(t *testing.T) {
	for _, tc := range []struct {
		role resource.Role
		want string
	}{
		{resource.RoleCLI, "cli"},
		{resource.RoleDeployment, "deployment"},
		{resource.Role(7), "Role(7)"},
	} {
		if got := tc.role.String(); got != tc.want {
			t.Errorf("Role(%d).String() = %q, want %q", int(tc.role), got, tc.want)
		}
	}
}

func TestNewDetectorRejects(t *testing.T) {
	store := configfile.New(filepath.Join(t.TempDir(), "config.json"))
	for _, tc := range []struct {
		name string
		opts []resource.Option
		want string // in the error
	}{
		{"no options", nil, "config.json store"},
		{"CLI without store", []resource.Option{resource.WithServiceName("elmo-cli")}, "WithConfigStore"},
		{"CLI with nil store", []resource.Option{resource.WithServiceName("elmo-cli"), resource.WithConfigStore(nil)}, "WithConfigStore"},
		{"no service name", []resource.Option{resource.WithConfigStore(store)}, "service name is required"},
		{"service name with a slash", []resource.Option{resource.WithConfigStore(store), resource.WithServiceName("/usr/bin/elmo")}, "service name"},
		{"service name uppercase", []resource.Option{resource.WithConfigStore(store), resource.WithServiceName("Elmo")}, "service name"},
		{"service name too long", []resource.Option{resource.WithConfigStore(store), resource.WithServiceName("e" + strings.Repeat("x", 64))}, "service name"},
		{"version with a space", []resource.Option{resource.WithConfigStore(store), resource.WithServiceName("elmo-cli"), resource.WithVersion("1.2 beta")}, "version"},
		{"version too long", []resource.Option{resource.WithConfigStore(store), resource.WithServiceName("elmo-cli"), resource.WithVersion("1" + strings.Repeat("0", 64))}, "version"},
		{"unknown role", []resource.Option{resource.WithRole(resource.Role(9)), resource.WithServiceName("elmo-cli")}, "unknown role Role(9)"},
		{"deployment with store", []resource.Option{resource.WithRole(resource.RoleDeployment), resource.WithServiceName("elmo-web"), resource.WithConfigStore(store)}, "CLI role only"},
		{"deployment creating an install ID", []resource.Option{resource.WithRole(resource.RoleDeployment), resource.WithServiceName("elmo-web"), resource.WithCreateInstallID(true)}, "CLI role only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := resource.NewDetector(tc.opts...)
			if err == nil {
				t.Fatalf("NewDetector succeeded, want an error containing %q", tc.want)
			}
			if d != nil {
				t.Errorf("NewDetector returned a Detector with its error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestNewDetectorDefaults(t *testing.T) {
	// Without WithRole the role is the CLI's; without WithVersion the
	// version comes from the build, which for a test binary is "dev" or a
	// module version, never empty; without WithGetenv it is os.Getenv.
	t.Setenv("DEPLOYMENT_MODE", "whitelabel")
	store := newStore(t)
	writeConfig(t, store, `{"telemetryId": "`+testInstallID+`"}`)
	d, err := resource.NewDetector(resource.WithServiceName("elmo-cli"), resource.WithConfigStore(store), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Detect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := attrs(t, r)
	if got["elmo.install.id"] != testInstallID {
		t.Errorf("elmo.install.id = %q, want %q (the CLI role's ID)", got["elmo.install.id"], testInstallID)
	}
	if got["service.version"] == "" {
		t.Error("service.version is empty")
	}
	if got["elmo.deployment.mode"] != "whitelabel" {
		t.Errorf("elmo.deployment.mode = %q, want whitelabel from the process environment", got["elmo.deployment.mode"])
	}
}

func TestDetectCLI(t *testing.T) {
	common := wantCommon(t, "elmo-cli", "1.2.3", "local")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"default mode", nil, with(common, "elmo.install.id", testInstallID)},
		{"whitelabel", map[string]string{"DEPLOYMENT_MODE": "whitelabel"},
			with(common, "elmo.install.id", testInstallID, "elmo.deployment.mode", "whitelabel")},
		{"deployment ID is not the CLI's", map[string]string{"DEPLOYMENT_ID": testDeploymentID},
			with(common, "elmo.install.id", testInstallID)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newStore(t)
			writeConfig(t, store, `{"telemetryId": "`+testInstallID+`", "telemetryDisabled": false}`)
			d, err := resource.NewDetector(
				resource.WithRole(resource.RoleCLI),
				resource.WithServiceName("elmo-cli"),
				resource.WithVersion("1.2.3"),
				resource.WithConfigStore(store),
				resource.WithGetenv(env(tc.env)),
			)
			if err != nil {
				t.Fatal(err)
			}
			for _, build := range []bool{false, true} {
				var r *sdkresource.Resource
				if build {
					r, err = resource.Build(context.Background(), d)
				} else {
					r, err = d.Detect(context.Background())
				}
				if err != nil {
					t.Fatalf("build=%v: %v", build, err)
				}
				assertAttrs(t, r, tc.want)
			}
		})
	}
}

func TestDetectDeployment(t *testing.T) {
	for _, tc := range []struct {
		name    string
		service string
		env     map[string]string
		want    map[string]string
	}{
		{"web", "elmo-web", map[string]string{"DEPLOYMENT_ID": testDeploymentID},
			with(wantCommon(t, "elmo-web", "2.0.0-rc.1", "local"), "elmo.deployment.id", testDeploymentID)},
		{"worker in whitelabel mode", "elmo-worker", map[string]string{"DEPLOYMENT_ID": testDeploymentID, "DEPLOYMENT_MODE": "whitelabel"},
			with(wantCommon(t, "elmo-worker", "2.0.0-rc.1", "whitelabel"), "elmo.deployment.id", testDeploymentID)},
		{"ID in upper case with spaces", "elmo-web", map[string]string{"DEPLOYMENT_ID": " " + strings.ToUpper(testDeploymentID) + "\n"},
			with(wantCommon(t, "elmo-web", "2.0.0-rc.1", "local"), "elmo.deployment.id", testDeploymentID)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := resource.NewDetector(
				resource.WithRole(resource.RoleDeployment),
				resource.WithServiceName(tc.service),
				resource.WithVersion("2.0.0-rc.1"),
				resource.WithGetenv(env(tc.env)),
			)
			if err != nil {
				t.Fatal(err)
			}
			r, err := resource.Build(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			assertAttrs(t, r, tc.want)
		})
	}
}

// assertPartial checks that err reports a partial resource, names what to
// fix, and does not repeat the offending value.
func assertPartial(t *testing.T, err error, names string, secret string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error, want a partial resource error")
	}
	if !errors.Is(err, sdkresource.ErrPartialResource) {
		t.Errorf("error %q does not wrap resource.ErrPartialResource", err)
	}
	if !strings.Contains(err.Error(), names) {
		t.Errorf("error %q does not name %s", err, names)
	}
	if secret = strings.TrimSpace(secret); secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("error %q repeats the value", err)
	}
}

func TestDetectDeploymentIDProblems(t *testing.T) {
	v1, err := uuid.NewUUID() // time and network-card based
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		value *string
	}{
		{"unset", nil},
		{"empty", new("")},
		{"blank", new("   ")},
		{"not a UUID", new("my-laptop")},
		{"an API key", new("sk-proj-4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f")},
		{"an email", new("jane@example.com")},
		{"a UUID with a typo", new(testDeploymentID[:35] + "x")},
		{"a UUID with a tail", new(testDeploymentID + "0")},
		{"the nil UUID", new(uuid.Nil.String())},
		{"a version 1 UUID", new(v1.String())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"DEPLOYMENT_MODE": "whitelabel"}
			raw := ""
			if tc.value != nil {
				raw = *tc.value
				vars["DEPLOYMENT_ID"] = raw
			}
			d, err := resource.NewDetector(
				resource.WithRole(resource.RoleDeployment),
				resource.WithServiceName("elmo-worker"),
				resource.WithVersion("1.0.0"),
				resource.WithGetenv(env(vars)),
			)
			if err != nil {
				t.Fatal(err)
			}
			want := wantCommon(t, "elmo-worker", "1.0.0", "whitelabel")

			r, err := d.Detect(context.Background())
			assertPartial(t, err, "DEPLOYMENT_ID", raw)
			assertAttrs(t, r, want)

			// Build passes the partial resource and its error on.
			r, err = resource.Build(context.Background(), d)
			assertPartial(t, err, "DEPLOYMENT_ID", raw)
			assertAttrs(t, r, want)
		})
	}
}

func TestDetectDeploymentMode(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  string
	}{
		{"", "local"},
		{"local", "local"},
		{"whitelabel", "whitelabel"},
		{" whitelabel ", "whitelabel"},
		// A mode outside the catalog can name a customer or a brand.
		{"acmecorp-brand", "other"},
		{"self_hosted-2", "other"},
		{"Local", "other"},
		{"local mode", "other"},
		{"/home/jane/.elmo", "other"},
		{"2fast", "other"},
		{"a" + strings.Repeat("b", 32), "other"},
		{"jane@example.com", "other"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			d, err := resource.NewDetector(
				resource.WithRole(resource.RoleDeployment),
				resource.WithServiceName("elmo-web"),
				resource.WithVersion("1.0.0"),
				resource.WithGetenv(env(map[string]string{"DEPLOYMENT_ID": testDeploymentID, "DEPLOYMENT_MODE": tc.value})),
			)
			if err != nil {
				t.Fatal(err)
			}
			r, err := d.Detect(context.Background())
			want := with(wantCommon(t, "elmo-web", "1.0.0", tc.want), "elmo.deployment.id", testDeploymentID)
			if err != nil {
				t.Fatal(err)
			}
			assertAttrs(t, r, want)
		})
	}
}

func TestDetectBothProblems(t *testing.T) {
	d, err := resource.NewDetector(
		resource.WithRole(resource.RoleDeployment),
		resource.WithServiceName("elmo-web"),
		resource.WithVersion("1.0.0"),
		resource.WithGetenv(env(map[string]string{"DEPLOYMENT_ID": "nope", "DEPLOYMENT_MODE": "NOPE"})),
	)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Detect(context.Background())
	assertPartial(t, err, "DEPLOYMENT_ID", "nope")
	assertAttrs(t, r, wantCommon(t, "elmo-web", "1.0.0", "other"))
}

func newCLIDetector(t *testing.T, store *configfile.Store, create bool) *resource.Detector {
	t.Helper()
	d, err := resource.NewDetector(
		resource.WithServiceName("elmo-cli"),
		resource.WithVersion("1.2.3"),
		resource.WithConfigStore(store),
		resource.WithCreateInstallID(create),
		resource.WithGetenv(env(nil)),
	)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCLICreatesInstallIDWhenTelemetryIsOn(t *testing.T) {
	store := newStore(t)
	d := newCLIDetector(t, store, true)
	ctx := context.Background()

	r, err := d.Detect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	settings, exists, err := store.Load()
	if err != nil || !exists {
		t.Fatalf("config.json after Detect: exists=%v, err=%v; want it created", exists, err)
	}
	id := settings.TelemetryID
	if u, err := uuid.Parse(id); err != nil || u.Version() != 4 {
		t.Fatalf("recorded telemetryId is not a version 4 UUID (err %v)", err)
	}
	want := with(wantCommon(t, "elmo-cli", "1.2.3", "local"), "elmo.install.id", id)
	assertAttrs(t, r, want)

	// A later run, even one that may not create, finds the same ID.
	r, err = newCLIDetector(t, store, false).Detect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertAttrs(t, r, want)
}

func TestCLIWritesNothingWhenTelemetryIsOff(t *testing.T) {
	store := newStore(t)
	d := newCLIDetector(t, store, false)

	r, err := d.Detect(context.Background())
	assertPartial(t, err, store.Path(), "")
	assertAttrs(t, r, wantCommon(t, "elmo-cli", "1.2.3", "local"))

	// Neither the file nor its directory was created.
	if _, err := os.Stat(filepath.Dir(store.Path())); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("config directory after Detect: %v, want it not to exist", err)
	}
}

func TestCLIExistingFileWithoutID(t *testing.T) {
	store := newStore(t)
	const content = `{"telemetryNoticeVersion": 1, "theme": "dark"}`
	writeConfig(t, store, content)

	r, err := newCLIDetector(t, store, false).Detect(context.Background())
	assertPartial(t, err, store.Path(), "")
	assertAttrs(t, r, wantCommon(t, "elmo-cli", "1.2.3", "local"))
	if got, _ := os.ReadFile(store.Path()); string(got) != content {
		t.Errorf("config.json changed to %q", got)
	}
}

func TestCLIMalformedConfig(t *testing.T) {
	v1, err := uuid.NewUUID()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		content string
		secret  string // must not appear in the error
	}{
		{"not JSON", `telemetryId=` + testInstallID, testInstallID},
		{"truncated", `{"telemetryId": "` + testInstallID[:8], testInstallID[:8]},
		{"an array", `["` + testInstallID + `"]`, testInstallID},
		{"ID is a number", `{"telemetryId": 42}`, ""},
		{"ID is an email", `{"telemetryId": "jane@example.com"}`, "jane@example.com"},
		{"ID is a version 1 UUID", `{"telemetryId": "` + v1.String() + `"}`, v1.String()},
	} {
		for _, create := range []bool{false, true} {
			name := tc.name
			if create {
				name += " with create"
			}
			t.Run(name, func(t *testing.T) {
				store := newStore(t)
				writeConfig(t, store, tc.content)

				r, err := newCLIDetector(t, store, create).Detect(context.Background())
				assertPartial(t, err, store.Path(), tc.secret)
				if !strings.Contains(err.Error(), "elmo.install.id") {
					t.Errorf("error %q does not say which attribute is left out", err)
				}
				assertAttrs(t, r, wantCommon(t, "elmo-cli", "1.2.3", "local"))

				// The file is never repaired.
				if got, _ := os.ReadFile(store.Path()); string(got) != tc.content {
					t.Errorf("config.json changed to %q", got)
				}
			})
		}
	}
}

func TestCLIMalformedConfigWrapsStoreError(t *testing.T) {
	store := newStore(t)
	writeConfig(t, store, `{`)
	_, err := newCLIDetector(t, store, false).Detect(context.Background())
	if !errors.Is(err, configfile.ErrMalformed) {
		t.Errorf("error %q does not wrap configfile.ErrMalformed", err)
	}
}

func TestDetectHonoursContext(t *testing.T) {
	store := newStore(t)
	d := newCLIDetector(t, store, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	r, err := d.Detect(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Detect with a canceled context: %v, want context.Canceled", err)
	}
	if errors.Is(err, sdkresource.ErrPartialResource) {
		t.Errorf("error %q claims a partial resource; nothing was detected", err)
	}
	if r != nil {
		t.Errorf("Detect returned a resource %v with a canceled context", r)
	}
	if _, err := os.Stat(store.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("config.json after a canceled Detect: %v, want none", err)
	}

	r, err = resource.Build(ctx, d)
	if !errors.Is(err, context.Canceled) || r.Len() != 0 {
		t.Errorf("Build with a canceled context = %v, %v; want an empty resource and context.Canceled", r, err)
	}
}

func TestDetectConcurrently(t *testing.T) {
	// Racing first runs in one process agree on one ID.
	store := newStore(t)
	d := newCLIDetector(t, store, true)
	const n = 8
	ids := make(chan string, n)
	for range n {
		go func() {
			r, err := d.Detect(context.Background())
			if err != nil {
				t.Error(err)
			}
			v, _ := r.Set().Value(catalog.ResourceInstallID)
			ids <- v.AsString()
		}()
	}
	var got []string
	for range n {
		got = append(got, <-ids)
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(got))); len(distinct) != 1 || distinct[0] == "" {
		t.Errorf("install IDs %v, want one ID for all", got)
	}
}
