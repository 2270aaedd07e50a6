package processors

import (
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// Names of the events of the Elmo catalog.
const (
	// EventCLIPrefix starts the name of every CLI command span:
	// "cli_" followed by the command path joined by "_", such as
	// "cli_start" or "cli_telemetry_status".
	EventCLIPrefix = "cli_"
	// EventCLIInit is the span of the elmo init command.
	EventCLIInit = "cli_init"
	// EventNewsletterSignup is the direct event of a product-updates signup.
	EventNewsletterSignup = "newsletter_signup"
	// EventPromptProcessed is the span of the worker processing one prompt.
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

// Attribute keys of the Elmo catalog.
const (
	// KeyExitCode is the exit code of a CLI command (int).
	KeyExitCode = attribute.Key("exit_code")
	// KeyPostgresMode says where PostgreSQL runs: one of [PostgresModes].
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
	// KeySource says where a newsletter signup came from: one of
	// [NewsletterSources].
	KeySource = attribute.Key("source")
	// KeyModels lists the models a prompt ran on (string slice of names).
	KeyModels = attribute.Key("models")
	// KeyTotalRuns is the number of provider runs of a prompt (int).
	KeyTotalRuns = attribute.Key("total_runs")
	// KeySuccessfulRuns is the number of runs that succeeded (int).
	KeySuccessfulRuns = attribute.Key("successful_runs")
	// KeyFailedRuns is the number of runs that failed (int).
	KeyFailedRuns = attribute.Key("failed_runs")
	// KeyProvider is one provider: one of [Providers].
	KeyProvider = attribute.Key("provider")
	// KeyModel is one model name.
	KeyModel = attribute.Key("model")
	// KeyOutcome is the outcome of a run: one of [Outcomes].
	KeyOutcome = attribute.Key("outcome")
	// KeyErrorType is the class of a provider error: one of
	// [ProviderErrorTypes]. Never the error message.
	KeyErrorType = attribute.Key("error_type")
)

// Resource attribute keys Elmo sets besides the semantic-convention ones.
const (
	// ResourceInstallIDKey identifies one installation of the CLI.
	ResourceInstallIDKey = attribute.Key("elmo.install.id")
	// ResourceDeploymentIDKey identifies one local deployment.
	ResourceDeploymentIDKey = attribute.Key("elmo.deployment.id")
	// ResourceDeploymentModeKey is the deployment mode, such as "local".
	ResourceDeploymentModeKey = attribute.Key("elmo.deployment.mode")
)

// MaxNameLen is the longest value [FormatName] accepts, in bytes.
const MaxNameLen = 64

var (
	providers = []string{
		"openai", "anthropic", "google", "mistral", "groq", "deepseek", "xai",
		"perplexity", "openrouter", "together", "azure", "bedrock", "ollama", "other",
	}
	initSteps          = []string{"config", "consent", "env_file", "providers", "database", "newsletter"}
	postgresModes      = []string{"embedded", "external"}
	outcomes           = []string{"ok", "error"}
	providerErrorTypes = []string{
		"timeout", "rate_limited", "auth", "server_error", "bad_request",
		"network", "invalid_response", "other",
	}
	newsletterSources = []string{"cli_init"}
)

// Providers returns the provider names events may carry. A provider not
// in the list is reported as "other".
func Providers() []string { return cloneStrings(providers) }

// InitSteps returns the steps of elmo init, in order, as failed_step
// reports them.
func InitSteps() []string { return cloneStrings(initSteps) }

// PostgresModes returns the values of postgres_mode: "embedded" (storage
// managed by Elmo) and "external" (DATABASE_URL points at a PostgreSQL
// server).
func PostgresModes() []string { return cloneStrings(postgresModes) }

// Outcomes returns the values of outcome: "ok" and "error".
func Outcomes() []string { return cloneStrings(outcomes) }

// ProviderErrorTypes returns the classes of provider errors that
// error_type may carry.
func ProviderErrorTypes() []string { return cloneStrings(providerErrorTypes) }

// NewsletterSources returns the values of the source of a newsletter
// signup.
func NewsletterSources() []string { return cloneStrings(newsletterSources) }

func exitCode() Property {
	return Property{Key: KeyExitCode, Type: TypeInt,
		Description: "Exit code of the command: 0 on success."}
}

func postgresMode(what string) Property {
	return Property{Key: KeyPostgresMode, Type: TypeString, Values: postgresModes,
		Description: "Where " + what + " keeps its data: embedded storage or an external PostgreSQL server."}
}

func providerList(what string) Property {
	return Property{Key: KeyProviders, Type: TypeStringSlice, Values: providers,
		Description: "Names of the model providers " + what + ", never their keys or URLs."}
}

// catalog is the Elmo event catalog (DESIGN.md section 6). It is the only
// definition; Catalog, DefaultPolicy and the documentation read it.
var catalog = []Event{
	{
		Name: EventCLIPrefix, Prefix: true, Kind: KindSpan, Source: SourceCLI,
		Description: "One elmo command run, named after the command, such as cli_start or cli_telemetry_status.",
		Properties:  []Property{exitCode()},
	},
	{
		Name: EventCLIInit, Kind: KindSpan, Source: SourceCLI,
		Description: "One elmo init run: how far set-up got and what it configured.",
		Properties: []Property{
			exitCode(),
			postgresMode("the new deployment"),
			providerList("configured"),
			{Key: KeyHasDirectAPI, Type: TypeBool,
				Description: "Whether a provider API key was entered, rather than a router or local model."},
			{Key: KeyCompleted, Type: TypeBool,
				Description: "Whether init ran to the end."},
			{Key: KeyFailedStep, Type: TypeString, Values: initSteps,
				Description: "The step where init stopped, when it did not complete."},
		},
	},
	{
		Name: EventNewsletterSignup, Kind: KindDirect, Source: SourceCLI,
		Description: "A product-updates signup during elmo init; sent even with telemetry off, because typing an email is explicit intent.",
		Properties: []Property{
			{Key: KeySource, Type: TypeString, Values: newsletterSources,
				Description: "Where the signup was made."},
		},
		PersonProperties: []Property{
			{Key: "email", Type: TypeString,
				Description: "The email address typed for product updates (the only event that carries one)."},
			{Key: "wants_updates", Type: TypeBool,
				Description: "Whether the person asked for product updates."},
		},
	},
	{
		Name: EventPromptProcessed, Kind: KindSpan, Source: SourceWorker,
		Description: "One prompt run by the worker against its providers and models; counts only, never the prompt or the responses.",
		Properties: []Property{
			providerList("the prompt ran on"),
			{Key: KeyModels, Type: TypeStringSlice, Format: FormatName,
				Description: "Names of the models the prompt ran on."},
			{Key: KeyTotalRuns, Type: TypeInt, Description: "Number of provider runs for the prompt."},
			{Key: KeySuccessfulRuns, Type: TypeInt, Description: "Number of runs that returned a response."},
			{Key: KeyFailedRuns, Type: TypeInt, Description: "Number of runs that failed."},
		},
	},
	{
		Name: EventPromptRuns, Kind: KindCounter, Source: SourceWorker,
		Description: "Prompt runs against a provider and model, by outcome.",
		Properties: []Property{
			{Key: KeyProvider, Type: TypeString, Values: providers, Description: "Name of the provider."},
			{Key: KeyModel, Type: TypeString, Format: FormatName, Description: "Name of the model."},
			{Key: KeyOutcome, Type: TypeString, Values: outcomes, Description: "Whether the run returned a response."},
		},
	},
	{
		Name: EventProviderErrors, Kind: KindCounter, Source: SourceWorker,
		Description: "Failed provider requests, by provider and class of error; never the error message.",
		Properties: []Property{
			{Key: KeyProvider, Type: TypeString, Values: providers, Description: "Name of the provider."},
			{Key: KeyErrorType, Type: TypeString, Values: providerErrorTypes, Description: "Class of the error."},
		},
	},
	{
		Name: EventPromptsEdited, Kind: KindCounter, Source: SourceWeb,
		Description: "Existing prompts edited in the web app (new prompts show in prompts_tracked); a count only, never the text.",
	},
	{
		Name: EventBrandsCreated, Kind: KindCounter, Source: SourceWeb,
		Description: "Brands created in the web app; a count only, never the names.",
	},
	{
		Name: EventReportsRun, Kind: KindCounter, Source: SourceWeb,
		Description: "Reports run in the web app; a count only.",
	},
	{
		Name: EventPromptsTracked, Kind: KindGauge, Source: SourceWeb,
		Description: "Number of prompts the deployment tracks.",
	},
	{
		Name: EventBrands, Kind: KindGauge, Source: SourceWeb,
		Description: "Number of brands the deployment holds.",
	},
	{
		Name: EventDeploymentHeartbeat, Kind: KindSpan, Source: SourceWeb,
		Description: "Sent hourly by a running deployment, to count deployments in use and their set-up.",
		Properties: []Property{
			postgresMode("the deployment"),
			providerList("configured"),
		},
	},
}

// resourceCatalog lists the resource attributes that may leave the
// process; the exporter turns them into the common properties of every
// event.
var resourceCatalog = []Property{
	{Key: semconv.ServiceNameKey, Type: TypeString, Description: "The Elmo program: elmo-cli, elmo-web or elmo-worker."},
	{Key: semconv.ServiceVersionKey, Type: TypeString, Description: "Version of the Elmo program."},
	{Key: semconv.OSTypeKey, Type: TypeString, Description: "Operating system family, such as linux or darwin."},
	{Key: semconv.HostArchKey, Type: TypeString, Description: "Processor architecture, such as amd64 or arm64."},
	{Key: semconv.ProcessRuntimeNameKey, Type: TypeString, Description: "Language runtime, such as go."},
	{Key: semconv.ProcessRuntimeVersionKey, Type: TypeString, Description: "Version of the language runtime."},
	{Key: ResourceInstallIDKey, Type: TypeString, Description: "Random ID of the CLI installation (CLI only)."},
	{Key: ResourceDeploymentIDKey, Type: TypeString, Description: "Random ID of the local deployment (web and worker only)."},
	{Key: ResourceDeploymentModeKey, Type: TypeString, Description: "Deployment mode, such as local or whitelabel."},
}

// Catalog returns a copy of the Elmo event catalog, in the order of the
// documentation. It is the data behind [DefaultPolicy].
func Catalog() []Event {
	out := make([]Event, len(catalog))
	for i, e := range catalog {
		out[i] = e.clone()
	}
	return out
}

// ResourceCatalog returns a copy of the resource attributes that may leave
// the process, which become the common properties of every event.
func ResourceCatalog() []Property { return cloneProperties(resourceCatalog) }
