package resource

import (
	"runtime/debug"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/elmohq/telemetry/catalog"
)

func TestVersionFromBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "dev"},
		{"development build", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "dev"},
		{"empty version", &debug.BuildInfo{Main: debug.Module{Version: ""}}, true, "dev"},
		{"release", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, true, "v1.4.0"},
		{"pseudo-version", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20251127002700-60905cf1234a+dirty"}}, true, "v0.0.0-20251127002700-60905cf1234a+dirty"},
		{"unusable version", &debug.BuildInfo{Main: debug.Module{Version: "v1 (jane's build)"}}, true, "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionFromBuildInfo(tc.info, tc.ok); got != tc.want {
				t.Errorf("versionFromBuildInfo() = %q, want %q", got, tc.want)
			}
		})
	}
}

// setBuildVersion sets the link-time version for one test.
func setBuildVersion(t *testing.T, v string) {
	saved := buildVersion
	buildVersion = v
	t.Cleanup(func() { buildVersion = saved })
}

func TestBuildVersionFromLinker(t *testing.T) {
	setBuildVersion(t, "1.2.3")
	got, err := DefaultVersion()
	if err != nil || got != "1.2.3" {
		t.Errorf("DefaultVersion() = %q, %v; want the link-time version 1.2.3", got, err)
	}

	// WithVersion wins over the link-time version.
	d, err := NewDetector(WithRole(RoleDeployment), WithServiceName("elmo-web"), WithVersion("2.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	if d.version != "2.0.0" {
		t.Errorf("version = %q, want 2.0.0 from WithVersion", d.version)
	}
	d, err = NewDetector(WithRole(RoleDeployment), WithServiceName("elmo-web"))
	if err != nil {
		t.Fatal(err)
	}
	if d.version != "1.2.3" {
		t.Errorf("version = %q, want 1.2.3 from the linker", d.version)
	}
}

func TestBuildVersionFromLinkerMalformed(t *testing.T) {
	setBuildVersion(t, "1.2.3 built on jane-laptop")
	d, err := NewDetector(WithRole(RoleDeployment), WithServiceName("elmo-web"))
	if err == nil || d != nil {
		t.Fatalf("NewDetector = %v, %v; want an error for a malformed link-time version", d, err)
	}
	if !strings.Contains(err.Error(), "buildVersion") {
		t.Errorf("error %q does not name the variable", err)
	}
	if strings.Contains(err.Error(), "jane") {
		t.Errorf("error %q repeats the value", err)
	}
}

func TestRuntimeVersion(t *testing.T) {
	for in, want := range map[string]string{
		"go1.26.0":                      "go1.26.0",
		"go1.26rc1":                     "go1.26rc1",
		"go1.26.0 X:nocoverageredesign": "go1.26.0",
		"devel go1.27-1a2b3c4d Tue Jan 6 10:00:00": "devel",
		"":                  "unknown",
		"/home/jane/go/bin": "unknown",
	} {
		if got := runtimeVersion(in); got != want {
			t.Errorf("runtimeVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlatformNames(t *testing.T) {
	for goos, want := range map[string]string{
		"linux": "linux", "darwin": "darwin", "windows": "windows",
		"dragonfly": "dragonflybsd", "zos": "zos", "illumos": "illumos",
	} {
		if got := osType(goos).Value.AsString(); got != want || !sentAsIs(catalog.ResourceOSType, got) {
			t.Errorf("osType(%q) = %q (in the catalog %v), want %q", goos, got, sentAsIs(catalog.ResourceOSType, got), want)
		}
	}
	for goarch, want := range map[string]string{
		"amd64": "amd64", "arm64": "arm64", "arm": "arm32", "386": "x86",
		"ppc64le": "ppc64", "s390x": "s390x", "riscv64": "riscv64", "loong64": "loong64",
	} {
		if got := hostArch(goarch).Value.AsString(); got != want || !sentAsIs(catalog.ResourceHostArch, got) {
			t.Errorf("hostArch(%q) = %q (in the catalog %v), want %q", goarch, got, sentAsIs(catalog.ResourceHostArch, got), want)
		}
	}
}

// sentAsIs reports whether the catalog sends v as itself under key.
func sentAsIs(key attribute.Key, v string) bool {
	out, ok := allowed[key].Normalize(v)
	return ok && out == v
}
