// Package posthogtest provides a PostHog-compatible capture server on the
// loopback interface, for tests, in the spirit of net/http/httptest.
//
// A [Server] accepts both capture APIs, the legacy POST /batch/ and v1's
// POST /i/v1/analytics/events, gzip-compressed or not, and validates each
// request as PostHog does: the API key, a non-empty event name and
// distinct_id, a valid uuid and an RFC 3339 UTC timestamp for every event,
// and 413 for a body over the size limit. It records every request and
// every accepted event, and can be scripted to answer with an error
// status, a Retry-After header, to hang or to drop the connection:
//
//	srv := posthogtest.NewServer()
//	defer srv.Close()
//	srv.Script(posthogtest.Respond(503), posthogtest.RespondRetryAfter(429, 2*time.Second))
//	// point the client under test at srv.URL, then:
//	events, err := srv.WaitForEvents(ctx, 1)
//
// With [WithTLS] it speaks HTTPS with a self-signed certificate, which
// [Server.CertificatePEM] and [Server.WriteCertificate] hand to the client
// under test, in the process or, through SSL_CERT_FILE, in a child
// process. What a client should do with each answer is described in
// [Delivery].
//
// [Delivery]: https://github.com/elmohq/telemetry/blob/main/docs/delivery.md
package posthogtest
