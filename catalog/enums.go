package catalog

// Classes of provider errors, the values of error_type.
const (
	ErrorTimeout         = "timeout"
	ErrorRateLimited     = "rate_limited"
	ErrorAuth            = "auth"
	ErrorServerError     = "server_error"
	ErrorBadRequest      = "bad_request"
	ErrorNetwork         = "network"
	ErrorInvalidResponse = "invalid_response"
	ErrorOther           = Other
)

var (
	providers = []string{
		"openai", "anthropic", "google", "mistral", "groq", "deepseek", "xai",
		"perplexity", "openrouter", "together", "azure", "bedrock", "ollama", Other,
	}
	initSteps          = []string{StepConfig, StepConsent, StepEnvFile, StepProviders, StepDatabase, StepNewsletter}
	postgresModes      = []string{PostgresEmbedded, PostgresExternal}
	outcomes           = []string{OutcomeOK, OutcomeError}
	providerErrorTypes = []string{
		ErrorTimeout, ErrorRateLimited, ErrorAuth, ErrorServerError, ErrorBadRequest,
		ErrorNetwork, ErrorInvalidResponse, ErrorOther,
	}
	newsletterSources = []string{SourceCLIInit}
	deploymentModes   = []string{ModeLocal, ModeWhitelabel, Other}
	serviceNames      = []string{ServiceCLI, ServiceWeb, ServiceWorker, Other}
	runtimeNames      = []string{RuntimeGo, Other}
	// osTypes are the os.type values of the semantic conventions.
	osTypes = []string{
		"linux", "darwin", "windows", "freebsd", "netbsd", "openbsd", "dragonflybsd",
		"hpux", "aix", "solaris", "zos", "illumos", "android", "ios", "plan9", Other,
	}
	// hostArchs are the host.arch values of the semantic conventions,
	// and GOARCH names for the architectures they do not list.
	hostArchs = []string{
		"amd64", "arm64", "arm32", "x86", "ia64", "ppc32", "ppc64", "s390x",
		"riscv64", "loong64", "mips", "mipsle", "mips64", "mips64le", "wasm", Other,
	}
)

// Providers returns the provider names events may carry; any other
// provider is sent as "other".
func Providers() []string { return clone(providers) }

// InitSteps returns the steps of elmo init, in order, as failed_step
// reports them.
func InitSteps() []string { return clone(initSteps) }

// DeploymentModes returns the values of the deployment mode; any other
// mode is sent as "other".
func DeploymentModes() []string { return clone(deploymentModes) }

// ServiceNames returns the values of service.name: the Elmo programs, and
// "other" for any other program.
func ServiceNames() []string { return clone(serviceNames) }

// DeploymentMode returns what the deployment mode s is sent as: s when
// it is one of [DeploymentModes], else "other".
func DeploymentMode(s string) string {
	for _, m := range deploymentModes {
		if m == s {
			return s
		}
	}
	return Other
}
