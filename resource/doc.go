// Package resource describes the running Elmo program as an OpenTelemetry
// resource, and nothing that identifies the person running it.
//
// A [Detector] implements the SDK's resource.Detector: the program
// (service.name), its version, the operating system family and processor
// architecture, the Go runtime and the deployment mode, and one random ID:
// the install ID of config.json in the CLI role ([RoleCLI]), created only
// when the caller says telemetry is on ([WithCreateInstallID]), or
// DEPLOYMENT_ID from the deployment's .env in the deployment role
// ([RoleDeployment]). An ID that is not a random (version 4) UUID is left
// out; an error names the variable or file to fix, never the value.
//
// [Build] returns the pipeline's resource: the detector's attributes
// reduced by [Filter] to [AllowedKeys]. Host names, host IDs,
// os.description, executable paths, command lines and user names never
// pass. The SDK's providers merge OTEL_RESOURCE_ATTRIBUTES into whatever
// resource they are given, so an exporter passes the resource it receives
// through [Filter] again.
//
// The version is the one given with [WithVersion], else one set at link
// time with
//
//	go build -ldflags "-X github.com/elmohq/telemetry/resource.buildVersion=1.2.3"
//
// else the main module's version from the build information, else "dev".
//
// What each attribute is sent as, and the values it may take, is in
// [How it is identified] and [What is collected].
//
// [How it is identified]: https://github.com/elmohq/telemetry/blob/main/docs/telemetry.md#how-it-is-identified
// [What is collected]: https://github.com/elmohq/telemetry/blob/main/docs/telemetry.md#what-is-collected
package resource
