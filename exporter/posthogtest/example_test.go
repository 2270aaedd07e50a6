package posthogtest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func Example() {
	srv := posthogtest.NewServer()
	defer srv.Close()

	// The first request fails; the default answer accepts the batch.
	srv.Script(posthogtest.Respond(http.StatusServiceUnavailable))

	body := `{"api_key":"phc_test","batch":[{"uuid":"0b6b8f3e-5d1c-4c1e-9a52-1f0f4b0b6f11",` +
		`"event":"cli_init","distinct_id":"install-1","timestamp":"2025-01-02T03:04:05Z","properties":{}}]}`
	for range 2 {
		res, err := http.Post(srv.URL+"/batch/", "application/json", strings.NewReader(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		res.Body.Close()
		fmt.Println(res.StatusCode)
	}

	events, err := srv.WaitForEvents(context.Background(), 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(events[0].Event, events[0].DistinctID)
	// Output:
	// 503
	// 200
	// cli_init install-1
}
