package catalog

// After changing the catalog, run go generate ./... from the module root:
// it rewrites the "What is collected" sections of README.md and
// docs/telemetry.md, which a test compares with the catalog.
//
//go:generate go run ../internal/pipeline/catalogdoc/cmd/gencatalog -C ..

func exitCode() Property {
	return Property{Key: KeyExitCode, Type: TypeInt,
		Description: "Exit code of the command: 0 on success."}
}

func postgresMode(what string) Property {
	return Property{Key: KeyPostgresMode, Type: TypeString, Values: postgresModes,
		Description: "Where " + what + " keeps its data: embedded storage or an external PostgreSQL server."}
}

func providerList(what string) Property {
	return Property{Key: KeyProviders, Type: TypeStringSlice, Values: providers, Other: Other,
		Description: "Names of the model providers " + what + ", never their keys or URLs."}
}

func provider() Property {
	return Property{Key: KeyProvider, Type: TypeString, Values: providers, Other: Other,
		Description: "Name of the provider."}
}

// events is the Elmo event catalog (DESIGN.md section 6). It is the only
// definition; Events, the gate and the documentation read it.
var events = []Event{
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
			{Key: PersonEmail, Type: TypeString,
				Description: "The email address typed for product updates (the only event that carries one)."},
			{Key: PersonWantsUpdates, Type: TypeBool,
				Description: "Whether the person asked for product updates."},
		},
	},
	{
		Name: EventPromptProcessed, Kind: KindSpan, Source: SourceWorker,
		Description: "The first run by the worker of a new or edited prompt against its providers and models (later runs and retries are counted in prompt_runs); counts only, never the prompt or the responses.",
		Properties: []Property{
			providerList("the prompt ran on"),
			{Key: KeyModels, Type: TypeStringSlice, Rule: RuleModelName,
				Description: "Public names of the models the prompt ran on."},
			{Key: KeyTotalRuns, Type: TypeInt, Description: "Number of provider runs for the prompt."},
			{Key: KeySuccessfulRuns, Type: TypeInt, Description: "Number of runs that returned a response."},
			{Key: KeyFailedRuns, Type: TypeInt, Description: "Number of runs that failed."},
		},
	},
	{
		Name: EventPromptRuns, Kind: KindCounter, Source: SourceWorker,
		Description: "Prompt runs against a provider and model, by outcome; a deployment sends the sum of each hour.",
		Properties: []Property{
			provider(),
			{Key: KeyModel, Type: TypeString, Rule: RuleModelName, Description: "Public name of the model."},
			{Key: KeyOutcome, Type: TypeString, Values: outcomes, Description: "Whether the run returned a response."},
		},
	},
	{
		Name: EventProviderErrors, Kind: KindCounter, Source: SourceWorker,
		Description: "Failed provider requests, by provider and class of error; never the error message. A deployment sends the sum of each hour.",
		Properties: []Property{
			provider(),
			{Key: KeyErrorType, Type: TypeString, Values: providerErrorTypes, Other: ErrorOther, Description: "Class of the error."},
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

// resource lists the resource attributes that may leave the process;
// the exporter turns them into the common properties of every event.
var resource = []Property{
	{Key: ResourceServiceName, Type: TypeString, Values: serviceNames, Other: Other, SentAs: "service",
		Description: "The Elmo program: elmo-cli, elmo-web or elmo-worker."},
	{Key: ResourceServiceVersion, Type: TypeString, Rule: RuleVersion, SentAs: "version",
		Description: "Version of the Elmo program."},
	{Key: ResourceOSType, Type: TypeString, Values: osTypes, Other: Other, SentAs: "os",
		Description: "Operating system family, such as linux or darwin."},
	{Key: ResourceHostArch, Type: TypeString, Values: hostArchs, Other: Other, SentAs: "arch",
		Description: "Processor architecture, such as amd64 or arm64."},
	{Key: ResourceRuntimeName, Type: TypeString, Values: runtimeNames, Other: Other,
		Description: "Language runtime, such as go."},
	{Key: ResourceRuntimeVersion, Type: TypeString, Rule: RuleGoVersion, SentAs: "runtime_version",
		Description: "Version of the language runtime."},
	{Key: ResourceInstallID, Type: TypeString, Rule: RuleRandomUUID, SentAs: FieldDistinctID,
		Description: "Random ID of the CLI installation (CLI only)."},
	{Key: ResourceDeploymentID, Type: TypeString, Rule: RuleRandomUUID, SentAs: FieldDistinctID,
		Description: "Random ID of the local deployment (web and worker only)."},
	{Key: ResourceDeploymentMode, Type: TypeString, Values: deploymentModes, Other: Other, SentAs: "deployment_mode",
		Description: "Deployment mode, such as local or whitelabel."},
}

// Events returns a copy of the Elmo event catalog, in the order of the
// documentation.
func Events() []Event {
	out := make([]Event, len(events))
	for i, e := range events {
		out[i] = e.Clone()
	}
	return out
}

// Resource returns a copy of the resource attributes that may leave the
// process, which become the common properties of every event.
func Resource() []Property { return CloneProperties(resource) }

// Lookup returns the entry of the catalog that the event name falls
// under: the entry with that exact name, else the prefix entry whose
// family the span name belongs to.
func Lookup(name string) (Event, bool) {
	for _, e := range events {
		if !e.Prefix && e.Name == name {
			return e.Clone(), true
		}
	}
	for _, e := range events {
		if e.Prefix && InFamily(name, e.Name) {
			return e.Clone(), true
		}
	}
	return Event{}, false
}

// MaxEventNameLen is the longest event name, in bytes, including the
// names of spans that a prefix entry matches.
const MaxEventNameLen = 64

// NameChars reports whether s holds only a-z, 0-9 and _, the characters
// of an event name.
func NameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// InFamily reports whether the span name belongs to the family of the
// prefix entry named prefix, such as "cli_start" to "cli_": the prefix
// followed by one or more name characters, within [MaxEventNameLen].
func InFamily(name, prefix string) bool {
	return len(name) > len(prefix) && len(name) <= MaxEventNameLen &&
		name[:len(prefix)] == prefix && NameChars(name[len(prefix):])
}
