package resource

import "go.opentelemetry.io/otel/attribute"

// Attribute keys that Elmo adds to the resource besides the OpenTelemetry
// semantic-convention keys service.name, service.version, os.type,
// host.arch, process.runtime.name and process.runtime.version.
const (
	// InstallIDKey identifies one installation of the CLI. Its value is the
	// random UUID v4 stored as telemetryId in config.json.
	InstallIDKey = attribute.Key("elmo.install.id")
	// DeploymentIDKey identifies one local deployment. Its value is the
	// random UUID v4 that elmo init writes to the deployment .env as
	// DEPLOYMENT_ID.
	DeploymentIDKey = attribute.Key("elmo.deployment.id")
	// DeploymentModeKey is the deployment mode from DEPLOYMENT_MODE, such
	// as "local" (the default) or "whitelabel".
	DeploymentModeKey = attribute.Key("elmo.deployment.mode")
)
