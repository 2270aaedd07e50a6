package resource_test

import (
	"context"
	"fmt"

	"github.com/elmohq/telemetry/resource"
)

// A service of the local deployment is identified by DEPLOYMENT_ID. Here
// the environment is a map; by default it is the process environment.
func Example() {
	env := map[string]string{
		"DEPLOYMENT_ID":   "3f0b8c52-7a51-4e8a-9a5e-0c1d2e3f4a5b",
		"DEPLOYMENT_MODE": "local",
	}
	d, err := resource.NewDetector(
		resource.WithRole(resource.RoleDeployment),
		resource.WithServiceName("elmo-web"),
		resource.WithVersion("1.2.3"),
		resource.WithGetenv(func(k string) string { return env[k] }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := resource.Build(context.Background(), d)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, kv := range res.Attributes() {
		fmt.Println(kv.Key)
	}
	// Output:
	// elmo.deployment.id
	// elmo.deployment.mode
	// host.arch
	// os.type
	// process.runtime.name
	// process.runtime.version
	// service.name
	// service.version
}
