package catalogdoc

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDocumentedPropertiesAreWhatTheExporterSends sends a span through
// the real exporter to a loopback capture server, once with a CLI
// resource and once with a deployment resource, each holding every
// attribute of the resource catalog, and checks that the event carries
// exactly what Markdown documents: the span's attributes, the resource
// attributes under the names the catalog gives them, duration_ms, success and the
// library's properties. Nothing more, nothing less.
func TestDocumentedPropertiesAreWhatTheExporterSends(t *testing.T) {
	const (
		installID    = "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10"
		deploymentID = "0b7d1c52-8a3e-4f6b-9c2d-7e1f0a4b5c6d"
	)
	for _, role := range []struct {
		name   string
		id     attribute.Key // the identity the resource holds
		value  string
		absent attribute.Key // the other identity, which it lacks
	}{
		{"cli", catalog.ResourceInstallID, installID, catalog.ResourceDeploymentID},
		{"deployment", catalog.ResourceDeploymentID, deploymentID, catalog.ResourceInstallID},
	} {
		t.Run(role.name, func(t *testing.T) {
			values := map[attribute.Key]string{}
			var kvs []attribute.KeyValue
			for i, p := range catalog.Resource() {
				switch p.Key {
				case role.absent:
					continue
				case role.id:
					values[p.Key] = role.value
				default:
					values[p.Key] = fmt.Sprintf("canary%d", i)
				}
				kvs = append(kvs, attribute.String(string(p.Key), values[p.Key]))
			}
			ev := sendSpan(t, resource.NewSchemaless(kvs...), attribute.Int("exit_code", 3))

			if ev.DistinctID != role.value {
				t.Errorf("distinct_id = %q, want %s (%s)", ev.DistinctID, role.value, role.id)
			}
			want := map[string]bool{"exit_code": true, "duration_ms": true, "success": true}
			for _, l := range LibraryProperties {
				want[l] = true
			}
			for key, v := range values {
				name, sent := sentAs(key)
				switch {
				case !sent:
					if strings.Contains(string(ev.Raw), v) {
						t.Errorf("%s is documented as not sent, but its value %q is in the event: %s", key, v, ev.Raw)
					}
				case name == "distinct_id":
				default:
					want[name] = true
					if got := ev.Properties[name]; got != v {
						t.Errorf("property %s = %v, want %q (from %s)", name, got, v, key)
					}
				}
			}
			var got []string
			for k := range ev.Properties {
				if !want[k] {
					t.Errorf("the event carries %s, which the documentation does not mention", k)
				}
				got = append(got, k)
			}
			for k := range want {
				if _, ok := ev.Properties[k]; !ok {
					t.Errorf("the documentation says every event carries %s, but this one lacks it", k)
				}
			}
			if t.Failed() {
				slices.Sort(got)
				t.Logf("properties sent: %v", got)
			}
		})
	}
}

// sendSpan exports one cli_version span on res with attrs and returns the
// event the server received.
func sendSpan(t *testing.T, res *resource.Resource, attrs ...attribute.KeyValue) posthogtest.Event {
	t.Helper()
	srv := posthogtest.NewServer()
	t.Cleanup(srv.Close)
	client, err := exporter.NewClient(exporter.WithHost(srv.URL), exporter.WithAPIKey("phc_test"))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := exporter.NewSpanExporter(client)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stub := tracetest.SpanStub{
		Name: "cli_version",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled,
		}),
		StartTime:  start,
		EndTime:    start.Add(time.Millisecond),
		Attributes: attrs,
		Resource:   res,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := exp.ExportSpans(ctx, tracetest.SpanStubs{stub}.Snapshots()); err != nil {
		t.Fatal(err)
	}
	if err := client.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	evs := srv.Events()
	if len(evs) != 1 {
		raw, _ := json.Marshal(evs)
		t.Fatalf("got %d events, want 1: %s", len(evs), raw)
	}
	return evs[0]
}

// sentAs returns the name the catalog sends the resource attribute key
// under, and whether it is sent.
func sentAs(key attribute.Key) (string, bool) {
	for _, p := range catalog.Resource() {
		if p.Key == key {
			return p.SentAs, p.SentAs != ""
		}
	}
	return "", false
}
