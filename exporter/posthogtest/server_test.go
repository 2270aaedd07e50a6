package posthogtest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/exporter/posthogtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const validEvent = `{"uuid":"0b6b8f3e-5d1c-4c1e-9a52-1f0f4b0b6f11","event":"e","distinct_id":"d",` +
	`"timestamp":"2025-01-02T03:04:05.123Z","properties":{"a":1}}`

func post(t *testing.T, url, body string, gz bool) int {
	t.Helper()
	var b bytes.Buffer
	if gz {
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(body))
		zw.Close()
	} else {
		b.WriteString(body)
	}
	req, err := http.NewRequest(http.MethodPost, url, &b)
	if err != nil {
		t.Fatal(err)
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		gz    bool
		query string
		want  int
	}{
		{"valid", `{"api_key":"k","batch":[` + validEvent + `]}`, false, "", 200},
		{"valid gzip", `{"api_key":"k","batch":[` + validEvent + `]}`, true, "", 200},
		{"missing api key", `{"batch":[` + validEvent + `]}`, false, "", 401},
		{"empty event", `{"api_key":"k","batch":[` + strings.Replace(validEvent, `"event":"e"`, `"event":""`, 1) + `]}`, false, "", 400},
		{"empty distinct_id", `{"api_key":"k","batch":[` + strings.Replace(validEvent, `"distinct_id":"d"`, `"distinct_id":""`, 1) + `]}`, false, "", 400},
		{"bad uuid", `{"api_key":"k","batch":[` + strings.Replace(validEvent, `0b6b8f3e-`, `zz`, 1) + `]}`, false, "", 400},
		{"non-UTC timestamp", `{"api_key":"k","batch":[` + strings.Replace(validEvent, `.123Z`, `.123+02:00`, 1) + `]}`, false, "", 400},
		{"not RFC 3339", `{"api_key":"k","batch":[` + strings.Replace(validEvent, `2025-01-02T03:04:05.123Z`, `yesterday`, 1) + `]}`, false, "", 400},
		{"not JSON", `{`, false, "", 400},
		{"too large", `{"api_key":"k","batch":[` + validEvent + `],"pad":"` + strings.Repeat("x", posthogtest.DefaultMaxBodySize) + `"}`, false, "", 413},
		{"too large once decompressed", `{"api_key":"k","batch":[` + validEvent + `],"pad":"` + strings.Repeat("x", posthogtest.DefaultMaxBodySize) + `"}`, true, "", 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			if got := post(t, srv.URL+"/batch/", tt.body, tt.gz); got != tt.want {
				t.Fatalf("status = %d, want %d", got, tt.want)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Status != tt.want || reqs[0].Gzip != tt.gz {
				t.Fatalf("recorded %+v", reqs)
			}
			wantEvents := 0
			if tt.want == 200 {
				wantEvents = 1
			}
			if n := len(srv.Events()); n != wantEvents {
				t.Fatalf("accepted %d events, want %d", n, wantEvents)
			}
		})
	}
}

func TestScript(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.Script(
		posthogtest.Respond(503),
		posthogtest.RespondRetryAfter(429, 1500*time.Millisecond),
		posthogtest.Respond(400),
	)
	body := `{"api_key":"k","batch":[` + validEvent + `]}`
	for _, want := range []int{503, 429, 400, 200} {
		res, err := http.Post(srv.URL+"/batch/", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("status = %d, want %d", res.StatusCode, want)
		}
		if want == 429 && res.Header.Get("Retry-After") != "2" {
			t.Fatalf("Retry-After = %q, want 2 (rounded up)", res.Header.Get("Retry-After"))
		}
	}
	if n := len(srv.Events()); n != 1 {
		t.Fatalf("accepted %d events, want 1", n)
	}
}

func TestCloseConnection(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.Script(posthogtest.CloseConnection())
	_, err := http.Post(srv.URL+"/batch/", "application/json", strings.NewReader(`{}`))
	if err == nil {
		t.Fatal("request succeeded, want a connection error")
	}
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	srv := posthogtest.NewServer()
	srv.SetDefault(posthogtest.Hang())
	errc := make(chan error, 1)
	go func() {
		res, err := http.Post(srv.URL+"/batch/", "application/json", strings.NewReader(`{}`))
		if err == nil {
			res.Body.Close()
			err = errors.New("hanging request was answered")
		}
		errc <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.WaitForRequests(ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.Close() // must not block on the hanging handler
	if err := <-errc; err == nil {
		t.Fatal("want an error from the released request")
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestWaitForEventsHonoursContext(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := srv.WaitForEvents(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func postV1(t *testing.T, url, auth, body string) (int, map[string]map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+posthogtest.V1Path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("PostHog-Request-Id", "7d0e4a52-9d6b-4f1c-8b1e-2a3b4c5d6e7f")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Results map[string]map[string]string `json:"results"`
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out.Results
}

func TestV1(t *testing.T) {
	second := strings.Replace(validEvent, "0b6b8f3e-5d1c-4c1e-9a52-1f0f4b0b6f11", "1b6b8f3e-5d1c-4c1e-9a52-1f0f4b0b6f11", 1)
	batch := `{"created_at":"2025-01-02T03:04:05Z","batch":[` + validEvent + `,` + second + `]}`
	tests := []struct {
		name     string
		auth     string
		body     string
		script   []posthogtest.Response
		want     int
		results  []string // by position, when 200
		accepted int
	}{
		{"accepted", "Bearer phc_k", batch, nil, 200, []string{"ok", "ok"}, 2},
		{"no bearer", "", batch, nil, 401, nil, 0},
		{"api key in body", "Bearer phc_k", `{"api_key":"k","created_at":"2025-01-02T03:04:05Z","batch":[` + validEvent + `]}`, nil, 400, nil, 0},
		{"no created_at", "Bearer phc_k", `{"batch":[` + validEvent + `]}`, nil, 400, nil, 0},
		{"partial", "Bearer phc_k", batch, []posthogtest.Response{posthogtest.Partial(posthogtest.ResultRetry, posthogtest.ResultDrop)}, 200, []string{"retry", "drop"}, 0},
		{"partial, first ok", "Bearer phc_k", batch, []posthogtest.Response{posthogtest.Partial(posthogtest.ResultOK, posthogtest.ResultRetry)}, 200, []string{"ok", "retry"}, 1},
		{"503", "Bearer phc_k", batch, []posthogtest.Response{posthogtest.Respond(503)}, 503, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := posthogtest.NewServer()
			defer srv.Close()
			srv.Script(tt.script...)
			status, results := postV1(t, srv.URL, tt.auth, tt.body)
			if status != tt.want {
				t.Fatalf("status %d, want %d", status, tt.want)
			}
			for i, want := range tt.results {
				id := []string{"0b6b8f3e-5d1c-4c1e-9a52-1f0f4b0b6f11", "1b6b8f3e-5d1c-4c1e-9a52-1f0f4b0b6f11"}[i]
				if got := results[id]["result"]; got != want {
					t.Errorf("result of event %d = %q, want %q", i, got, want)
				}
			}
			if n := len(srv.Events()); n != tt.accepted {
				t.Errorf("%d events recorded, want %d", n, tt.accepted)
			}
		})
	}
}

func TestV1RetryAfterOnPartial(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	srv.Script(posthogtest.Partial(posthogtest.ResultRetry).WithRetryAfter(1500 * time.Millisecond))
	req, _ := http.NewRequest(http.MethodPost, srv.URL+posthogtest.V1Path,
		strings.NewReader(`{"created_at":"2025-01-02T03:04:05Z","batch":[`+validEvent+`]}`))
	req.Header.Set("Authorization", "Bearer k")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2 (whole seconds, rounded up)", got)
	}
}

// pemClient returns a client that trusts only the certificates in pemBytes.
func pemClient(t *testing.T, pemBytes []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("no certificate in %q", pemBytes)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func TestTLS(t *testing.T) {
	srv := posthogtest.NewServer(posthogtest.WithTLS())
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Fatalf("URL = %q, want https://127.0.0.1:port", srv.URL)
	}
	path := filepath.Join(t.TempDir(), "cert.pem")
	if err := srv.WriteCertificate(path); err != nil {
		t.Fatal(err)
	}
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pemBytes, srv.CertificatePEM()) {
		t.Fatal("the written certificate is not CertificatePEM")
	}

	body := `{"api_key":"k","batch":[` + validEvent + `]}`
	res, err := pemClient(t, pemBytes).Post(srv.URL+"/batch/", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.TLS == nil {
		t.Fatalf("status %d, TLS %v; want 200 over TLS", res.StatusCode, res.TLS != nil)
	}
	if n := len(srv.Events()); n != 1 {
		t.Fatalf("accepted %d events, want 1", n)
	}
}

func TestTLSRefusedWithoutTrust(t *testing.T) {
	srv := posthogtest.NewServer(posthogtest.WithTLS())
	defer srv.Close()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}
	defer tr.CloseIdleConnections()
	_, err := (&http.Client{Transport: tr}).Post(srv.URL+"/batch/", "application/json", strings.NewReader(`{}`))
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("err = %v, want x509.UnknownAuthorityError", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests reached the server, want 0", n)
	}
}

func TestCertificateWithoutTLS(t *testing.T) {
	srv := posthogtest.NewServer()
	defer srv.Close()
	if b := srv.CertificatePEM(); b != nil {
		t.Errorf("CertificatePEM = %q, want nil", b)
	}
	if err := srv.WriteCertificate(filepath.Join(t.TempDir(), "cert.pem")); err == nil {
		t.Error("WriteCertificate succeeded without TLS")
	}
}
