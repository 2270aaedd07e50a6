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
