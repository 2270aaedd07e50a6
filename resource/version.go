package resource

import (
	"errors"
	"runtime/debug"

	"github.com/elmohq/telemetry/catalog"
)

// buildVersion is the program's release version, set at link time:
//
//	go build -ldflags "-X github.com/elmohq/telemetry/resource.buildVersion=1.2.3"
//
// When it is empty, the version comes from the build information.
var buildVersion string

// devVersion is the version of a development build.
const devVersion = catalog.DevVersion

// DefaultVersion returns the version of the running program, the one
// service.version has when WithVersion is not given: the version set at
// link time with
//
//	go build -ldflags "-X github.com/elmohq/telemetry/resource.buildVersion=1.2.3"
//
// else the main module's version from the build information, else "dev"
// for a development build or a version that is not a release version.
// A link-time version that is not a release version is an error. It is
// the one place a program of this module reads its version from the
// build.
func DefaultVersion() (string, error) {
	if buildVersion != "" {
		if !catalog.IsVersion(buildVersion) {
			return "", errors.New("resource: the version set at link time (-X github.com/elmohq/telemetry/resource.buildVersion) is not valid: want a release version such as 1.4.2 or v2.0.0-rc.1")
		}
		return buildVersion, nil
	}
	info, ok := debug.ReadBuildInfo()
	return versionFromBuildInfo(info, ok), nil
}

// versionFromBuildInfo returns the main module's version, or devVersion
// for a development build ("(devel)") or when no usable version is known.
func versionFromBuildInfo(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return devVersion
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" || !catalog.IsVersion(v) {
		return devVersion
	}
	return v
}
