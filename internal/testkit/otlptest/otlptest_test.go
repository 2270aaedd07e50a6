package otlptest_test

import (
	"context"
	"slices"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

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
