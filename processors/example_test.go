package processors_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/elmohq/telemetry/processors"
)

// The filter wraps the exporting processor; only what the catalog allows
// reaches it.
func ExampleNewSpanFilter() {
	exp := tracetest.NewInMemoryExporter()
	filter, err := processors.NewSpanFilter(sdktrace.NewSimpleSpanProcessor(exp))
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(filter))
	tracer := tp.Tracer("github.com/elmohq/telemetry/cmd/elmo")

	_, span := tracer.Start(context.Background(), "cli_init")
	span.SetAttributes(
		attribute.Int("exit_code", 1),
		attribute.String("failed_step", "database"),
		attribute.StringSlice("providers", []string{"openai", "ollama"}),
		attribute.String("database_url", "postgres://elmo:secret@db.example.com/elmo"), // not in the catalog
	)
	span.RecordError(errors.New("open /home/alice/.elmo/.env: permission denied"))
	span.SetStatus(codes.Error, "init failed")
	span.End()

	_, span = tracer.Start(context.Background(), "GET /brands") // not in the catalog
	span.End()

	for _, s := range exp.GetSpans() {
		fmt.Println(s.Name, s.Status.Code, fmt.Sprintf("%q", s.Status.Description), len(s.Events), "events")
		for _, kv := range s.Attributes {
			fmt.Printf("  %s=%s\n", kv.Key, kv.Value.Emit())
		}
	}
	fmt.Println("dropped:", filter.Dropped())
	if err := tp.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// cli_init Error "" 0 events
	//   exit_code=1
	//   failed_step=database
	//   providers=["openai","ollama"]
	// dropped: key_not_allowed=1 span_not_in_catalog=1 event=1
}

// Scrub is the defence in depth behind the key allowlist.
func ExampleScrub() {
	for _, v := range []string{"claude-3.5-sonnet", "/Users/alice/brand.txt", "sk-ant-api03-Xy7Qw3Lm9Zt2", "db.internal.example.com"} {
		out, why, ok := processors.Scrub(v)
		fmt.Printf("%q %v %q\n", out, ok, why)
	}
	// Output:
	// "claude-3.5-sonnet" true "none"
	// "" false "path"
	// "" false "credential"
	// "" false "hostname"
}

// The catalog is data: the CLI and the documentation print it.
func ExampleCatalog() {
	for _, e := range processors.Catalog()[:3] {
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
