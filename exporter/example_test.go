package exporter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func Example() {
	srv := posthogtest.NewServer() // stands in for PostHog
	defer srv.Close()

	client, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey("phc_example"))
	if err != nil {
		fmt.Println(err)
		return
	}
	spans, err := exporter.NewSpanExporter(client)
	if err != nil {
		fmt.Println(err)
		return
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(spans),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("elmo.install.id", "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10"),
			attribute.String("service.name", "elmo-cli"),
		)),
	)
	_, span := tp.Tracer("elmo").Start(context.Background(), "cli_init")
	span.SetAttributes(attribute.Int("exit_code", 0))
	span.End()

	// At exit: the provider first (it flushes the exporter), the client last.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	if err := client.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}

	for _, ev := range srv.Events() {
		fmt.Println(ev.Event, ev.DistinctID, ev.Properties["service"], ev.Properties["exit_code"], ev.Properties["success"])
	}
	// Output:
	// cli_init 5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10 elmo-cli 0 true
}

func ExampleBacklog() {
	srv := posthogtest.NewServer() // stands in for PostHog
	defer srv.Close()
	srv.Script(posthogtest.Respond(503)) // the first request fails

	client, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey("phc_example"),
		exporter.WithMaxRetries(0))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Shutdown(context.Background())
	// A long-running service sends through a Backlog, which keeps what a
	// Send could not deliver and sends it first the next time.
	backlog, err := exporter.NewBacklog(client, 10_000)
	if err != nil {
		fmt.Println(err)
		return
	}
	event := func(name string) exporter.Event {
		return exporter.Event{UUID: uuid.NewString(), Event: name, DistinctID: "deployment-1", Timestamp: time.Now()}
	}

	ctx := context.Background()
	err = backlog.Send(ctx, event("deployment_heartbeat"))
	fmt.Println(err != nil, backlog.Len())
	err = backlog.Send(ctx, event("prompt_runs"))
	fmt.Println(err, backlog.Len())
	fmt.Println(posthogtest.Names(srv.Events()))
	// Output:
	// true 1
	// <nil> 0
	// [deployment_heartbeat prompt_runs]
}
