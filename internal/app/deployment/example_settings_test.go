package deployment_test

import (
	"fmt"

	"github.com/elmohq/telemetry/internal/app/deployment"
)

func ExampleLoad() {
	env := map[string]string{"ELMO_DIR": "/srv/elmo", "WEB_PORT": "8080", "WORKER_INTERVAL": "30s"}
	s, err := deployment.Load(func(k string) string { return env[k] })
	fmt.Println(s.WebAddr, s.WorkerInterval, err)
	// Output: 127.0.0.1:8080 30s <nil>
}
