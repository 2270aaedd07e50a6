package otlptest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/elmohq/telemetry/internal/pipeline/envexport"
	"github.com/elmohq/telemetry/internal/testkit/otlptest"
)

func TestServerReceivesSpans(t *testing.T) {
	srv := otlptest.NewServer()
	defer srv.Close()
	getenv := func(k string) string {
		if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
			return srv.URL
		}
		return ""
	}
	exp, err := envexport.NewSpanExporter(context.Background(), envexport.OTLP, getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	_, span := tp.Tracer("t").Start(context.Background(), "cli_version")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Wait(ctx, func(s *otlptest.Server) bool { return len(s.SpanNames()) > 0 }); err != nil {
		t.Fatal(err)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := srv.SpanNames(); !slices.Equal(got, []string{"cli_version"}) {
		t.Errorf("spans %q, want [cli_version]", got)
	}
	if len(srv.Body()) == 0 {
		t.Error("no body recorded")
	}
}

// The Server answers with the scripted responses in order, then the
// default, and records every request with its answer.
func TestServerScript(t *testing.T) {
	srv := otlptest.NewServer()
	defer srv.Close()
	srv.Script(
		otlptest.Respond(http.StatusServiceUnavailable).WithRetryAfter("2"),
		otlptest.PartialSuccess(3, "bad point"),
		otlptest.CloseConnection(),
	)
	srv.SetDefault(otlptest.Respond(http.StatusTooManyRequests))
	body, err := proto.Marshal(&colmetricpb.ExportMetricsServiceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	post := func() (*http.Response, []byte, error) {
		res, err := hc.Post(srv.URL+"/v1/metrics", "application/x-protobuf", bytes.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, b, err
	}

	res, _, err := post()
	if err != nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "2" {
		t.Fatalf("first answer %v, %v; want 503 with Retry-After 2", res, err)
	}
	res, b, err := post()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("second answer %v, %v; want 200", res, err)
	}
	var out colmetricpb.ExportMetricsServiceResponse
	if err := proto.Unmarshal(b, &out); err != nil || out.PartialSuccess.GetRejectedDataPoints() != 3 || out.PartialSuccess.GetErrorMessage() != "bad point" {
		t.Errorf("partial success %v, %v; want 3 rejected, bad point", &out, err)
	}
	if _, _, err := post(); err == nil {
		t.Error("third request answered; want its connection closed")
	}
	if res, _, err := post(); err != nil || res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("fourth answer %v, %v; want the default 429", res, err)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
		if r.ResourceMetrics() == nil && len(r.Body) != 0 {
			t.Errorf("request body %q does not decode", r.Body)
		}
	}
	if want := []int{503, 200, 0, 429}; !slices.Equal(statuses, want) {
		t.Errorf("statuses recorded %v, want %v", statuses, want)
	}
	if n := len(srv.ResourceMetrics()); n != 0 {
		t.Errorf("%d resource metrics kept from an empty request", n)
	}
}

// Sum adds the points of a sum, integer or floating point, over every
// request accepted.
func TestServerSum(t *testing.T) {
	rms := []*metricpb.ResourceMetrics{{ScopeMetrics: []*metricpb.ScopeMetrics{{Metrics: []*metricpb.Metric{
		{Name: "brands_created", Data: &metricpb.Metric_Sum{Sum: &metricpb.Sum{DataPoints: []*metricpb.NumberDataPoint{
			{Value: &metricpb.NumberDataPoint_AsInt{AsInt: 2}}, {Value: &metricpb.NumberDataPoint_AsDouble{AsDouble: 0.5}},
		}}}},
		{Name: "other", Data: &metricpb.Metric_Sum{Sum: &metricpb.Sum{DataPoints: []*metricpb.NumberDataPoint{
			{Value: &metricpb.NumberDataPoint_AsInt{AsInt: 40}},
		}}}},
	}}}}}
	if got := otlptest.Sum(rms, "brands_created"); got != 2.5 {
		t.Errorf("Sum = %v, want 2.5", got)
	}
}
