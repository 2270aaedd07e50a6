package provider

import (
	"fmt"
	"slices"
	"strings"
)

// defaultBaseURLs holds the OpenAI-compatible endpoints of well-known
// providers. Providers without one (azure, bedrock, other) need
// <NAME>_BASE_URL.
var defaultBaseURLs = map[string]string{
	"openai":     "https://api.openai.com/v1",
	"anthropic":  "https://api.anthropic.com/v1",
	"google":     "https://generativelanguage.googleapis.com/v1beta/openai",
	"mistral":    "https://api.mistral.ai/v1",
	"groq":       "https://api.groq.com/openai/v1",
	"deepseek":   "https://api.deepseek.com/v1",
	"xai":        "https://api.x.ai/v1",
	"perplexity": "https://api.perplexity.ai",
	"openrouter": "https://openrouter.ai/api/v1",
	"together":   "https://api.together.xyz/v1",
	"ollama":     "http://127.0.0.1:11434/v1",
}

// keyless are the providers that run on the person's machine and need no
// API key: only their base URL.
var keyless = map[string]bool{"ollama": true}

// NeedsKey reports whether the provider called name needs an API key.
// A local server such as Ollama does not: its base URL is its settings.
func NeedsKey(name string) bool { return !keyless[name] }

// DefaultBaseURL returns the OpenAI-compatible base URL of a well-known
// provider, or "" when it has none.
func DefaultBaseURL(name string) string { return defaultBaseURLs[name] }

// EnvAPIKey returns the name of the variable that holds the API key of
// the provider called name, such as OPENAI_API_KEY.
func EnvAPIKey(name string) string { return envPrefix(name) + "_API_KEY" }

// EnvBaseURL returns the name of the variable that holds the base URL of
// the provider called name, such as OPENAI_BASE_URL.
func EnvBaseURL(name string) string { return envPrefix(name) + "_BASE_URL" }

func envPrefix(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Configured returns, sorted, the names among names whose API key or base
// URL is set by getenv: the providers the deployment can run prompts on.
func Configured(getenv func(string) string, names []string) []string {
	var out []string
	for _, n := range names {
		if getenv(EnvAPIKey(n)) != "" || getenv(EnvBaseURL(n)) != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// FromEnv returns a Client for each provider among names that is
// Configured, keyed by name. opts apply to every Client before the
// variables, so the environment wins over them. It fails, naming the
// variable, when a configured provider's base URL is unusable.
func FromEnv(getenv func(string) string, names []string, opts ...Option) (map[string]*Client, error) {
	clients := make(map[string]*Client)
	for _, n := range Configured(getenv, names) {
		o := append(slices.Clone(opts), WithAPIKey(getenv(EnvAPIKey(n))))
		if u := getenv(EnvBaseURL(n)); u != "" {
			o = append(o, WithBaseURL(u))
		}
		c, err := New(n, o...)
		if err != nil {
			return nil, fmt.Errorf("configuring provider %s: %w", n, err)
		}
		clients[n] = c
	}
	return clients, nil
}
