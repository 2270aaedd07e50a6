package catalog

import "go.opentelemetry.io/otel/attribute"

// Names of the events of the catalog.
const (
	// EventCLIPrefix starts the name of every CLI command span: "cli_"
	// followed by the command path joined by "_", such as "cli_start" or
	// "cli_telemetry_status".
	EventCLIPrefix = "cli_"
	// EventCLIInit is the span of the elmo init command.
	EventCLIInit = "cli_init"
	// EventNewsletterSignup is the direct event of a product-updates signup.
	EventNewsletterSignup = "newsletter_signup"
	// EventPromptProcessed is the span of the worker's first run of a new
	// or edited prompt.
	EventPromptProcessed = "prompt_processed"
	// EventPromptRuns is the counter of prompt runs against a provider.
	EventPromptRuns = "prompt_runs"
	// EventProviderErrors is the counter of failed provider requests.
	EventProviderErrors = "provider_errors"
	// EventPromptsEdited is the counter of prompts edited in the web app.
	EventPromptsEdited = "prompts_edited"
	// EventBrandsCreated is the counter of brands created in the web app.
	EventBrandsCreated = "brands_created"
	// EventReportsRun is the counter of reports run in the web app.
	EventReportsRun = "reports_run"
	// EventPromptsTracked is the gauge of prompts tracked by a deployment.
	EventPromptsTracked = "prompts_tracked"
	// EventBrands is the gauge of brands of a deployment.
	EventBrands = "brands"
	// EventDeploymentHeartbeat is the hourly span of a running deployment.
	EventDeploymentHeartbeat = "deployment_heartbeat"
)

// CommandEvent returns the name of the span of a CLI command given by its
// path below elmo, such as "cli_telemetry_status" for
// ["telemetry", "status"].
func CommandEvent(path ...string) string {
	n := len(EventCLIPrefix)
	for i, p := range path {
		if i > 0 {
			n++
		}
		n += len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, EventCLIPrefix...)
	for i, p := range path {
		if i > 0 {
			b = append(b, '_')
		}
		b = append(b, p...)
	}
	return string(b)
}

// Attribute keys of the event properties of the catalog.
const (
	// KeyExitCode is the exit code of a CLI command (int).
	KeyExitCode = attribute.Key("exit_code")
	// KeyPostgresMode says where the deployment keeps its data:
	// [PostgresEmbedded] or [PostgresExternal].
	KeyPostgresMode = attribute.Key("postgres_mode")
	// KeyProviders lists configured or used providers, each one of
	// [Providers] (string slice).
	KeyProviders = attribute.Key("providers")
	// KeyHasDirectAPI says whether elmo init configured a direct provider
	// API key (bool).
	KeyHasDirectAPI = attribute.Key("has_direct_api")
	// KeyCompleted says whether elmo init ran to the end (bool).
	KeyCompleted = attribute.Key("completed")
	// KeyFailedStep is the elmo init step that failed: one of [InitSteps].
	KeyFailedStep = attribute.Key("failed_step")
	// KeySource says where a newsletter signup came from: [SourceCLIInit].
	KeySource = attribute.Key("source")
	// KeyModels lists the models a prompt ran on (string slice), each
	// sent under [RuleModelName].
	KeyModels = attribute.Key("models")
	// KeyTotalRuns is the number of provider runs of a prompt (int).
	KeyTotalRuns = attribute.Key("total_runs")
	// KeySuccessfulRuns is the number of runs that succeeded (int).
	KeySuccessfulRuns = attribute.Key("successful_runs")
	// KeyFailedRuns is the number of runs that failed (int).
	KeyFailedRuns = attribute.Key("failed_runs")
	// KeyProvider is one provider: one of [Providers].
	KeyProvider = attribute.Key("provider")
	// KeyModel is one model name, sent under [RuleModelName].
	KeyModel = attribute.Key("model")
	// KeyOutcome is the outcome of a run: [OutcomeOK] or [OutcomeError].
	KeyOutcome = attribute.Key("outcome")
	// KeyErrorType is the class of a provider error: one of the
	// Error... constants, such as [ErrorTimeout]. Never the error message.
	KeyErrorType = attribute.Key("error_type")
)

// Keys of the person properties that the newsletter signup sets ($set).
const (
	// PersonEmail is the email address typed for product updates.
	PersonEmail = "email"
	// PersonWantsUpdates says whether the person asked for product updates.
	PersonWantsUpdates = "wants_updates"
)

// Resource attribute keys that may leave the process. The first six are
// the OpenTelemetry semantic-convention keys (semconv v1.43.0).
const (
	// ResourceServiceName is service.name: the Elmo program.
	ResourceServiceName = attribute.Key("service.name")
	// ResourceServiceVersion is service.version: the program's version.
	ResourceServiceVersion = attribute.Key("service.version")
	// ResourceOSType is os.type: the operating system family.
	ResourceOSType = attribute.Key("os.type")
	// ResourceHostArch is host.arch: the processor architecture.
	ResourceHostArch = attribute.Key("host.arch")
	// ResourceRuntimeName is process.runtime.name: the language runtime.
	ResourceRuntimeName = attribute.Key("process.runtime.name")
	// ResourceRuntimeVersion is process.runtime.version: its version.
	ResourceRuntimeVersion = attribute.Key("process.runtime.version")
	// ResourceInstallID identifies one installation of the CLI: the random
	// UUID stored as telemetryId in config.json.
	ResourceInstallID = attribute.Key("elmo.install.id")
	// ResourceDeploymentID identifies one local deployment: the random
	// UUID that elmo init writes to the deployment .env as DEPLOYMENT_ID.
	ResourceDeploymentID = attribute.Key("elmo.deployment.id")
	// ResourceDeploymentMode is the deployment mode: one of
	// [DeploymentModes].
	ResourceDeploymentMode = attribute.Key("elmo.deployment.mode")
)

// Names of the fields of an event that do not come from its attributes.
const (
	// FieldDistinctID is the event field that holds the install or
	// deployment ID.
	FieldDistinctID = "distinct_id"
	// PropDurationMS is the duration of a span event, in milliseconds.
	PropDurationMS = "duration_ms"
	// PropSuccess says whether the span of a span event did not end with an
	// error status.
	PropSuccess = "success"
	// PropValue is the value of a counter or gauge event.
	PropValue = "value"
	// PropLib and PropLibVersion name the library that delivered the
	// event; the transport adds them.
	PropLib        = "$lib"
	PropLibVersion = "$lib_version"
	// PropSet holds the person properties of a direct event.
	PropSet = "$set"
)

// TransportProperties are the properties the delivering library adds to
// every event. No other property of the transport may leave.
func TransportProperties() []string { return []string{PropLib, PropLibVersion} }

// Steps of elmo init, in order, as failed_step reports them.
const (
	StepConfig     = "config"
	StepConsent    = "consent"
	StepEnvFile    = "env_file"
	StepProviders  = "providers"
	StepDatabase   = "database"
	StepNewsletter = "newsletter"
)

// Values of the enumerated properties that Elmo code sets by name.
const (
	// Other is the value sent in place of one outside an enumeration that
	// has a fallback.
	Other = "other"
	// PostgresEmbedded and PostgresExternal are the values of
	// postgres_mode.
	PostgresEmbedded = "embedded"
	PostgresExternal = "external"
	// OutcomeOK and OutcomeError are the values of outcome.
	OutcomeOK    = "ok"
	OutcomeError = "error"
	// SourceCLIInit is the source of a newsletter signup made in elmo init.
	SourceCLIInit = EventCLIInit
	// ModeLocal is the default deployment mode.
	ModeLocal = "local"
	// ModeWhitelabel is the deployment mode of a white-label host.
	ModeWhitelabel = "whitelabel"
	// ServiceCLI, ServiceWeb and ServiceWorker are the values of
	// service.name.
	ServiceCLI    = "elmo-cli"
	ServiceWeb    = "elmo-web"
	ServiceWorker = "elmo-worker"
	// RuntimeGo is the value of process.runtime.name.
	RuntimeGo = "go"
)
