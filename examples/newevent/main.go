// Command newevent shows how to add an event to Elmo's catalog and see it
// in `elmo telemetry events`.
//
// The catalog (catalog/events.go) is the allowlist: a span or counter
// whose name is not in it never leaves the process, and neither does an
// attribute it does not declare. Adding an event is adding one entry,
// with a description of what it is for and its properties with their
// types and allowed values. This program adds a reports_exported counter
// with a format property to a copy of the catalog, passes the resulting
// policy to otelsetup.WithPolicy, counts a few exports, and prints the
// catalog as `elmo telemetry events` lays it out once the entry is in
// catalog/events.go, from the catalog's own fields. It uses public
// packages only, so it can be copied out of this module. Run it with
//
//	go run ./examples/newevent
//
// With ELMO_POSTHOG_HOST unset it prints each event on stderr, as
// ELMO_TELEMETRY_DEBUG=1 does, and sends nothing. With ELMO_POSTHOG_HOST
// and ELMO_POSTHOG_KEY set it sends the events there. Without
// DEPLOYMENT_ID it uses a random one.
//
// In Elmo itself, after adding the entry to catalog/events.go, run
// `go generate ./...` to update the "What is collected" section of
// docs/telemetry.md; a test fails until you do (docs/catalog.md).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/otelsetup"
	"github.com/elmohq/telemetry/processors"
	"github.com/elmohq/telemetry/resource"
)

// meterName is the instrumentation scope of this program's counter.
const meterName = "github.com/elmohq/telemetry/examples/newevent"

// shutdownTimeout bounds the delivery of the counter at exit.
const shutdownTimeout = 10 * time.Second

// formatKey is the property of the new event.
const formatKey = attribute.Key("format")

// reportsExported is the new catalog entry. Every field is required:
// NewPolicy rejects an entry without a source or a description, and a
// property without a type or a description.
var reportsExported = catalog.Event{
	Name:        "reports_exported",
	Kind:        catalog.KindCounter,
	Source:      catalog.SourceWeb,
	Description: "Reports exported from the web app, by file format; a count only, never the report.",
	Properties: []catalog.Property{{
		Key:         formatKey,
		Type:        catalog.TypeString,
		Values:      []string{"csv", "pdf"},
		Description: "Format of the exported file.",
	}},
}

// exports are the exports this program counts, by format.
var exports = []string{"csv", "csv", "pdf", "csv"}

func main() {
	if err := run(context.Background(), os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "newevent: %v\n", err)
		os.Exit(1)
	}
}

// run builds the extended policy, prints its catalog table, starts
// telemetry as elmo-web with it, counts the exports and shuts telemetry
// down, which sends the counts.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	events := append(catalog.Events(), reportsExported)
	policy, err := processors.NewPolicy(events,
		// A custom policy must list the resource attributes too: without
		// them no event could be keyed.
		processors.WithResourceAttributes(catalog.Resource()...))
	if err != nil {
		return fmt.Errorf("the new entry is not valid: %w", err)
	}
	fmt.Fprintln(stdout, "With the entry in catalog/events.go, `elmo telemetry events` shows:")
	fmt.Fprintln(stdout)
	if err := writeTable(stdout, policy.Events()); err != nil {
		return err
	}
	fmt.Fprintln(stdout)

	getenv, debug := exampleEnv(getenv)
	if debug {
		fmt.Fprintln(stdout, "ELMO_POSTHOG_HOST is not set: each event is printed on stderr (ELMO_TELEMETRY_DEBUG=1), nothing is sent.")
	}
	if getenv(resource.VarDeploymentID) == "" {
		id := uuid.NewString()
		fmt.Fprintf(stdout, "DEPLOYMENT_ID is not set: using %s for this run.\n", id)
		getenv = withVar(getenv, resource.VarDeploymentID, id)
	}
	tel, err := otelsetup.Start(ctx,
		otelsetup.WithRole(otelsetup.RoleDeployment),
		otelsetup.WithServiceName(catalog.ServiceWeb),
		otelsetup.WithGetenv(getenv),
		otelsetup.WithStderr(stderr),
		otelsetup.WithPolicy(policy))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Telemetry: %s (%s); events go to %s.\n",
		map[bool]string{true: "on", false: "off"}[tel.Enabled()], tel.Decision().Reason, tel.Exporter())

	counter, err := otel.Meter(meterName).Int64Counter(reportsExported.Name,
		metric.WithDescription(reportsExported.Description))
	if err != nil {
		return err
	}
	for _, format := range exports {
		counter.Add(ctx, 1, metric.WithAttributes(formatKey.String(format)))
	}
	fmt.Fprintf(stdout, "Counted %d exports; shutting telemetry down sends one reports_exported event per format.\n", len(exports))

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return tel.Shutdown(sctx)
}

// writeTable writes events as `elmo telemetry events` lays them out: one
// row per event with its kind, source, properties and purpose, then each
// property with its type, its description and its allowed values.
func writeTable(w io.Writer, events []catalog.Event) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT\tKIND\tSOURCE\tPROPERTIES\tWHAT IT IS FOR")
	for _, e := range events {
		keys := []string{}
		for _, p := range e.Properties {
			keys = append(keys, string(p.Key))
		}
		for _, p := range e.PersonProperties {
			keys = append(keys, "$set."+string(p.Key))
		}
		list := strings.Join(keys, ", ")
		if list == "" {
			list = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.DisplayName(), e.Kind, e.Source, list, e.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nProperties:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, e := range events {
		for _, p := range e.Properties {
			fmt.Fprintf(tw, "  %s.%s\t%s\t%s\n", e.DisplayName(), p.Key, p.Type, p.Description)
			if len(p.Values) > 0 {
				fmt.Fprintf(tw, "  \t\tone of: %s\n", strings.Join(p.Values, ", "))
			}
		}
	}
	return tw.Flush()
}

// exampleEnv returns the variables the pipeline reads: getenv, plus
// ELMO_TELEMETRY_DEBUG=1 when no PostHog host is set, so that running
// the example never sends anything anywhere unless asked to.
func exampleEnv(getenv func(string) string) (func(string) string, bool) {
	if getenv(otelsetup.VarPostHogHost) != "" {
		return getenv, false
	}
	return withVar(getenv, otelsetup.VarTelemetryDebug, "1"), true
}

// withVar returns getenv with key set to value.
func withVar(getenv func(string) string, key, value string) func(string) string {
	return func(k string) string {
		if k == key {
			return value
		}
		return getenv(k)
	}
}
