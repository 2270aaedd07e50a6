package exporter

import (
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/elmohq/telemetry/exporter/posthogmap"
)

// identity is what an exporter derives once per resource: the mapping's
// Identity of it.
type identity struct {
	res *resource.Resource
	*posthogmap.Identity
}

// identityOf reads the distinct ID and the common properties from res.
func identityOf(res *resource.Resource) *identity {
	if res == nil {
		return &identity{Identity: posthogmap.NewIdentity(nil)}
	}
	return &identity{res: res, Identity: posthogmap.NewIdentity(res.Set())}
}
