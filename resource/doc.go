// Package resource describes the running Elmo program as an OpenTelemetry
// resource, and nothing that identifies the person running it.
//
// A [Detector] implements the SDK's resource.Detector. It reports, for
// both roles:
//
//   - service.name: the program, such as elmo-cli, elmo-web or elmo-worker;
//   - service.version: the program's version (see Versions below);
//   - os.type and host.arch: the operating system family and processor
//     architecture, in the values of the OpenTelemetry semantic conventions;
//   - process.runtime.name and process.runtime.version: "go" and the Go
//     release the program was built with;
//   - elmo.deployment.mode: DEPLOYMENT_MODE, "local" when unset.
//
// In the CLI role ([RoleCLI]) it adds elmo.install.id, the random install
// ID recorded as telemetryId in config.json. The ID is created only when
// the caller says telemetry is on ([WithCreateInstallID]); otherwise a
// missing ID stays missing and nothing is written. In the deployment role
// ([RoleDeployment], the web app and the worker) it adds
// elmo.deployment.id from DEPLOYMENT_ID, which elmo init writes to the
// deployment's .env.
//
// Both IDs must be random (version 4) UUIDs: any other value, which might
// be a secret pasted in the wrong place or a UUID that embeds a network
// address, is left out. When an ID or the mode is missing or malformed,
// Detect returns the rest of the resource with an error that wraps the
// SDK's resource.ErrPartialResource and names the variable or file to fix.
// Errors never repeat the offending value.
//
// # What never leaves the machine
//
// [AllowedKeys] is the complete list of resource keys that may be
// exported. Host names, host IDs, os.description (which holds the host
// name), executable paths, command lines, process owners, user names and
// every other key are dropped by [Filter], as is an allowed key whose
// value does not have the expected shape.
//
// [Build] returns the resource for the pipeline: the detector's attributes
// reduced by [Filter]. It deliberately does not read OTEL_RESOURCE_ATTRIBUTES
// or OTEL_SERVICE_NAME, which the SDK would otherwise merge in and which may
// carry anything. Note that the SDK's trace and metric providers merge
// OTEL_RESOURCE_ATTRIBUTES into whatever resource they are given (see
// sdktrace.WithResource and sdkmetric.WithResource), so an exporter must
// pass the resource it receives through [Filter] again, or use the
// resource from [Build] directly.
//
// # Versions
//
// The version is, in order: the one given with [WithVersion]; the one set
// at link time with
//
//	go build -ldflags "-X github.com/elmohq/telemetry/resource.buildVersion=1.2.3"
//
// the main module's version from the build information
// (runtime/debug.ReadBuildInfo); or "dev" for a development build.
package resource
