package posthogtest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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

func ExampleWithTLS() {
	srv := posthogtest.NewServer(posthogtest.WithTLS())
	defer srv.Close()

	// A child process would be given the certificate with
	// srv.WriteCertificate(path) and SSL_CERT_FILE=path; in the process,
	// a pool that holds only that certificate does.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CertificatePEM())
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	body := `{"api_key":"phc_test","batch":[{"uuid":"0b6b8f3e-5d1c-4c1e-9a52-1f0f4b0b6f11",` +
		`"event":"cli_init","distinct_id":"install-1","timestamp":"2025-01-02T03:04:05Z","properties":{}}]}`
	res, err := client.Post(srv.URL+"/batch/", "application/json", strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	res.Body.Close()
	fmt.Println(strings.HasPrefix(srv.URL, "https://"), res.StatusCode, len(srv.Events()))
	// Output:
	// true 200 1
}
