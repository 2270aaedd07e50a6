package catalog_test

import (
	"fmt"

	"github.com/elmohq/telemetry/catalog"
)

// The catalog is data: the CLI and the documentation print it. Here, one
// entry.
func ExampleEvents() {
	for _, e := range catalog.Events() {
		if e.Name != catalog.EventCLIInit {
			continue
		}
		fmt.Printf("%s (%v, %s): %s\n", e.DisplayName(), e.Kind, e.Source, e.Description)
		for _, p := range e.Properties {
			fmt.Printf("  %s %v %v\n", p.Key, p.Type, p.Values)
		}
	}
	// Output:
	// cli_init (span, cli): One elmo init run: how far set-up got and what it configured.
	//   exit_code int []
	//   postgres_mode string [embedded external]
	//   providers string[] [openai anthropic google mistral groq deepseek xai perplexity openrouter together azure bedrock ollama other]
	//   has_direct_api bool []
	//   completed bool []
	//   failed_step string [config consent env_file providers database newsletter]
}

// Lookup finds the entry a span name falls under: its own, else the
// prefix entry of its family.
func ExampleLookup() {
	for _, name := range []string{"cli_init", "cli_start", "http_get"} {
		e, ok := catalog.Lookup(name)
		fmt.Printf("%s: %q %v\n", name, e.DisplayName(), ok)
	}
	// Output:
	// cli_init: "cli_init" true
	// cli_start: "cli_<command>" true
	// http_get: "" false
}

// A property either enumerates its values or names a rule; Normalize says
// what a value is sent as.
func ExampleProperty_Normalize() {
	for _, mode := range catalog.Resource() {
		if mode.Key != catalog.ResourceDeploymentMode {
			continue
		}
		for _, v := range []string{"local", "acmecorp-brand"} {
			out, ok := mode.Normalize(v)
			fmt.Printf("%s %q -> %q %v\n", mode.Key, v, out, ok)
		}
	}
	// Output:
	// elmo.deployment.mode "local" -> "local" true
	// elmo.deployment.mode "acmecorp-brand" -> "other" true
}
