package envexport

import (
	"bytes"
	"context"
	"errors"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		value   string
		want    Choice
		wantErr bool
	}{
		{"", Default, false},
		{"otlp", OTLP, false},
		{" OTLP ", OTLP, false},
		{"console", Console, false},
		{"none", None, false},
		{"prometheus", Default, true},
		{"otlp,console", Default, true},
		{"zipkin", Default, true},
	} {
		t.Run(tc.value, func(t *testing.T) {
			got, err := Parse(TracesVar, tc.value)
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Fatalf("Parse(%q) = %q, %v; want %q, error %v", tc.value, got, err, tc.want, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrUnsupported) {
				t.Errorf("error %v does not wrap ErrUnsupported", err)
			}
		})
	}
}

func TestOTLPProtocol(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr bool
	}{
		{"default", nil, false},
		{"http/protobuf", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, false},
		{"grpc", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true},
		{"http/json", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, true},
		{"signal overrides", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			exp, err := NewSpanExporter(context.Background(), OTLP, getenv, nil)
			if (err != nil) != tc.wantErr {
				t.Fatalf("NewSpanExporter: %v, want error %v", err, tc.wantErr)
			}
			if exp != nil {
				_ = exp.Shutdown(context.Background())
			}
		})
	}
}

func TestConsoleWritesToTheGivenWriter(t *testing.T) {
	var out bytes.Buffer
	exp, err := NewSpanExporter(context.Background(), Console, func(string) string { return "" }, &out)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	_, span := tp.Tracer("t").Start(context.Background(), "cli_version")
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte(`"cli_version"`)) {
		t.Errorf("the console exporter wrote %q", out.String())
	}
}

func TestDefaultAndNoneBuildNothing(t *testing.T) {
	for _, c := range []Choice{Default, None} {
		s, err := NewSpanExporter(context.Background(), c, func(string) string { return "" }, nil)
		m, err2 := NewMetricExporter(context.Background(), c, func(string) string { return "" }, nil)
		if s != nil || m != nil || err != nil || err2 != nil {
			t.Errorf("%q: got %v, %v, %v, %v; want nothing", c, s, m, err, err2)
		}
	}
}
