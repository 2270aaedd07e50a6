// Package posthogtest provides a PostHog-compatible capture server on the
// loopback interface, for tests, in the spirit of net/http/httptest.
//
// The Server accepts the legacy batch endpoint (POST /batch/, JSON, gzip
// when the request says Content-Encoding: gzip or ?compression=gzip-js) and
// validates each batch like the capture API: the api_key must be present,
// every event needs a non-empty event name and distinct_id, a valid uuid and
// an RFC 3339 UTC timestamp, and a body over the size limit is answered with
// 413. It records every request and every accepted event, and can be
// scripted to answer with an error status, a Retry-After header, to hang or
// to drop the connection:
//
//	srv := posthogtest.NewServer()
//	defer srv.Close()
//	srv.Script(posthogtest.Respond(503), posthogtest.RespondRetryAfter(429, 2*time.Second))
//	// point the client under test at srv.URL, then:
//	events, err := srv.WaitForEvents(ctx, 1)
//
// With WithTLS the Server speaks HTTPS with a self-signed certificate,
// which CertificatePEM and WriteCertificate hand to the client under test,
// in the process or, through SSL_CERT_FILE, in a child process.
package posthogtest
