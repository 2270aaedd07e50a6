package catalog_test

import (
	"fmt"

	"github.com/elmohq/telemetry/catalog"
)

// The catalog is data: the CLI and the documentation print it.
func ExampleEvents() {
	for _, e := range catalog.Events()[:3] {
		fmt.Printf("%s (%v, %s): %s\n", e.DisplayName(), e.Kind, e.Source, e.Description)
		for _, p := range e.Properties {
			fmt.Printf("  %s %v %v\n", p.Key, p.Type, p.Values)
		}
	}
	// Output:
	// cli_<command> (span, cli): One elmo command run, named after the command, such as cli_start or cli_telemetry_status.
	//   exit_code int []
	// cli_init (span, cli): One elmo init run: how far set-up got and what it configured.
	//   exit_code int []
	//   postgres_mode string [embedded external]
	//   providers string[] [openai anthropic google mistral groq deepseek xai perplexity openrouter together azure bedrock ollama other]
	//   has_direct_api bool []
	//   completed bool []
	//   failed_step string [config consent env_file providers database newsletter]
	// newsletter_signup (direct, cli): A product-updates signup during elmo init; sent even with telemetry off, because typing an email is explicit intent.
	//   source string [cli_init]
}

// A property either enumerates its values or names a rule; Normalize says
// what a value is sent as.
func ExampleProperty_Normalize() {
	mode := catalog.Resource()[8]
	for _, v := range []string{"local", "acmecorp-brand"} {
		out, ok := mode.Normalize(v)
		fmt.Printf("%s %q -> %q %v\n", mode.Key, v, out, ok)
	}
	// Output:
	// elmo.deployment.mode "local" -> "local" true
	// elmo.deployment.mode "acmecorp-brand" -> "other" true
}
