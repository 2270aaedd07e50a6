package ignore

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

func show(ctx context.Context, tracer trace.Tracer, span trace.Span) {
	//catalogcheck:ignore shows that the gate drops a span outside the catalog
	tracer.Start(ctx, "provider_request")
	span.SetAttributes(
		attribute.String("prompt", "x"),      //catalogcheck:ignore shows the gate at work
		attribute.String("output_path", "x"), // want `attribute "output_path" is not allowed on any span`
	)
	//catalogcheck:ignore // want `//catalogcheck:ignore needs a reason`
	tracer.Start(ctx, "no_reason") // want `span "no_reason" is not in the catalog`

	//catalogcheck:ignorethis is not the directive
	tracer.Start(ctx, "other_span") // want `span "other_span" is not in the catalog`
}
