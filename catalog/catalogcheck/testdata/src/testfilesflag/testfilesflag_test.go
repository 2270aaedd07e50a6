package testfilesflag

import (
	"context"

	"go.opentelemetry.io/otel/trace"
)

func canary(ctx context.Context, tracer trace.Tracer) {
	tracer.Start(ctx, "GET /canary") // want `span "GET /canary" is not in the catalog`
}
