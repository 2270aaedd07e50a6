package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/elmohq/telemetry/catalog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// receiver is an OTLP/HTTP trace receiver on loopback: it decodes each
// export request and keeps it.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []*coltracepb.ExportTraceServiceRequest
	paths    []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serveHTTP))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.Path)
	r.mu.Unlock()
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.Error(w, "not an OTLP trace export", http.StatusNotFound)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer gz.Close()
		body = gz
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var export coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(data, &export); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.requests = append(r.requests, &export)
	r.mu.Unlock()
	resp, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// resourceSpans returns every ResourceSpans received so far.
func (r *receiver) resourceSpans() []*tracepb.ResourceSpans {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*tracepb.ResourceSpans
	for _, req := range r.requests {
		out = append(out, req.GetResourceSpans()...)
	}
	return out
}

func keys(kvs []*commonpb.KeyValue) []string {
	out := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, kv.GetKey())
	}
	slices.Sort(out)
	return out
}

func value(kvs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	for _, kv := range kvs {
		if kv.GetKey() == key {
			return kv.GetValue()
		}
	}
	return nil
}

// TestFilteredSpanArrivesOverOTLP runs the example against an OTLP/HTTP
// receiver on loopback and checks that exactly the filtered
// prompt_processed span arrived: its allowed attributes only, no span
// events, no provider_request spans, and an allowlisted resource.
func TestFilteredSpanArrivesOverOTLP(t *testing.T) {
	const deploymentID = "0b7d1c52-8a3e-4f6b-9c2d-7e1f0a4b5c6d"
	rcv := newReceiver(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=canary-host,team=canary-team")
	env := map[string]string{"DEPLOYMENT_ID": deploymentID}

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), func(k string) string { return env[k] }, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}

	// Shutdown waited for the export: everything has arrived.
	var spans []*tracepb.Span
	allowed := map[string]bool{}
	for _, p := range catalog.Resource() {
		allowed[string(p.Key)] = true
	}
	for _, rs := range rcv.resourceSpans() {
		res := rs.GetResource().GetAttributes()
		for _, k := range keys(res) {
			if !allowed[k] {
				t.Errorf("resource attribute %s is not in the resource catalog", k)
			}
		}
		if got := value(res, "service.name").GetStringValue(); got != "elmo-worker" {
			t.Errorf("service.name = %q, want elmo-worker", got)
		}
		if got := value(res, string(catalog.ResourceDeploymentID)).GetStringValue(); got != deploymentID {
			t.Errorf("%s = %q, want %s", catalog.ResourceDeploymentID, got, deploymentID)
		}
		for _, ss := range rs.GetScopeSpans() {
			spans = append(spans, ss.GetSpans()...)
		}
	}
	if len(spans) != 1 || spans[0].GetName() != catalog.EventPromptProcessed {
		var names []string
		for _, s := range spans {
			names = append(names, s.GetName())
		}
		t.Fatalf("spans = %v, want one prompt_processed (paths %v)", names, rcv.paths)
	}
	s := spans[0]
	want := []string{"failed_runs", "models", "providers", "successful_runs", "total_runs"}
	if got := keys(s.GetAttributes()); !slices.Equal(got, want) {
		t.Errorf("attributes = %v, want %v", got, want)
	}
	if got := value(s.GetAttributes(), "total_runs").GetIntValue(); got != 2 {
		t.Errorf("total_runs = %d, want 2", got)
	}
	if len(s.GetEvents()) != 0 || len(s.GetLinks()) != 0 {
		t.Errorf("the span carries %d events and %d links, want none", len(s.GetEvents()), len(s.GetLinks()))
	}
	if s.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || s.GetStatus().GetMessage() != "" {
		t.Errorf("status = %v, want an error without its description", s.GetStatus())
	}
	raw, _ := proto.Marshal(s)
	for _, canary := range []string{"CRM", "429", "canary"} {
		if strings.Contains(string(raw), canary) {
			t.Errorf("the span holds %q", canary)
		}
	}
}
