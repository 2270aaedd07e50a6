package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/internal/app/provider"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newClient returns a Client for a loopback server running h.
func newClient(t *testing.T, h http.HandlerFunc) *provider.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	c, err := provider.New("openai", provider.WithBaseURL(srv.URL+"/v1"),
		provider.WithAPIKey("sk-test-key"), provider.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCompleteSendsAChatCompletion(t *testing.T) {
	var got struct {
		Model    string `json:"model"`
		Messages []struct {
			Role, Content string
		} `json:"messages"`
	}
	var path, auth string
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		path, auth = r.URL.Path, r.Header.Get("Authorization")
		_ = json.NewDecoder(r.Body).Decode(&got)
		_, _ = io.WriteString(w, `{"choices":[{"message":{"role":"assistant","content":"the answer"}}]}`)
	})
	text, err := c.Complete(context.Background(), "gpt-4o-mini", "the question")
	if err != nil {
		t.Fatal(err)
	}
	if text != "the answer" {
		t.Errorf("text = %q, want %q", text, "the answer")
	}
	if path != "/v1/chat/completions" {
		t.Errorf("path = %q, want /v1/chat/completions", path)
	}
	if auth != "Bearer sk-test-key" {
		t.Errorf("Authorization = %q", auth)
	}
	if got.Model != "gpt-4o-mini" || len(got.Messages) != 1 || got.Messages[0].Role != "user" || got.Messages[0].Content != "the question" {
		t.Errorf("request = %+v", got)
	}
}

func TestCompleteClassifiesFailures(t *testing.T) {
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"message":"secret detail"}}`, code)
		}
	}
	body := func(s string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, s) }
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    provider.ErrorType
		status  int
	}{
		{"401", status(401), provider.TypeAuth, 401},
		{"403", status(403), provider.TypeAuth, 403},
		{"429", status(429), provider.TypeRateLimited, 429},
		{"500", status(500), provider.TypeServerError, 500},
		{"503", status(503), provider.TypeServerError, 503},
		{"400", status(400), provider.TypeBadRequest, 400},
		{"404", status(404), provider.TypeBadRequest, 404},
		{"408", status(408), provider.TypeTimeout, 408},
		{"not json", body("<html>"), provider.TypeInvalidResponse, 200},
		{"no choices", body(`{"choices":[]}`), provider.TypeInvalidResponse, 200},
		{"no content", body(`{"choices":[{"message":{}}]}`), provider.TypeInvalidResponse, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.handler)
			_, err := c.Complete(context.Background(), "m", "p")
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *provider.Error", err)
			}
			if pe.Type != tt.want || provider.TypeOf(err) != tt.want {
				t.Errorf("type = %q, want %q", pe.Type, tt.want)
			}
			if pe.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", pe.StatusCode, tt.status)
			}
			if pe.Provider != "openai" {
				t.Errorf("provider = %q", pe.Provider)
			}
			if strings.Contains(err.Error(), "secret detail") || strings.Contains(err.Error(), "sk-test-key") {
				t.Errorf("error %q carries the answer body or the key", err)
			}
		})
	}
}

// A failed answer's Retry-After is kept in the error.
func TestCompleteKeepsRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		status int
		header string
		want   time.Duration
	}{
		{429, "120", 2 * time.Minute},
		{503, "7", 7 * time.Second},
		{500, "", 0},
	} {
		t.Run(fmt.Sprintf("%d/%q", tc.status, tc.header), func(t *testing.T) {
			c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				http.Error(w, "busy", tc.status)
			})
			_, err := c.Complete(context.Background(), "m", "p")
			pe, ok := errors.AsType[*provider.Error](err)
			if !ok || pe.RetryAfter != tc.want {
				t.Fatalf("error %v; want a *provider.Error with RetryAfter %v", err, tc.want)
			}
		})
	}
}

func TestCompleteTimeout(t *testing.T) {
	release := make(chan struct{})
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Complete(ctx, "m", "p")
	if got := provider.TypeOf(err); got != provider.TypeTimeout {
		t.Fatalf("TypeOf(%v) = %q, want timeout", err, got)
	}
}

func TestCompleteCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a closed connection once the body is read
		cancel()
		<-r.Context().Done()
	})
	_, err := c.Complete(ctx, "m", "p")
	if got := provider.TypeOf(err); got != provider.TypeOther {
		t.Fatalf("TypeOf(%v) = %q, want other", err, got)
	}
}

func TestCompleteNetwork(t *testing.T) {
	// A port that was just listened on and closed refuses connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	c, err := provider.New("groq", provider.WithBaseURL("http://"+addr), provider.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Complete(context.Background(), "m", "p")
	if got := provider.TypeOf(err); got != provider.TypeNetwork {
		t.Fatalf("TypeOf(%v) = %q, want network", err, got)
	}
}

func TestCompleteClosedConnection(t *testing.T) {
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	_, err := c.Complete(context.Background(), "m", "p")
	if got := provider.TypeOf(err); got != provider.TypeNetwork {
		t.Fatalf("TypeOf(%v) = %q, want network", err, got)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		prov string
		opts []provider.Option
	}{
		{"empty name", "", nil},
		{"no default base URL", "azure", nil},
		{"not http", "openai", []provider.Option{provider.WithBaseURL("ftp://example.com")}},
		{"no host", "openai", []provider.Option{provider.WithBaseURL("http://")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := provider.New(tt.prov, tt.opts...); err == nil {
				t.Fatal("New succeeded, want an error")
			}
		})
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{
		"OPENAI_API_KEY":  "sk-a",
		"OLLAMA_BASE_URL": "http://127.0.0.1:1/v1",
		"GROQ_BASE_URL":   "",
	}
	getenv := func(k string) string { return env[k] }
	names := []string{"openai", "anthropic", "groq", "ollama"}
	if got := provider.Configured(getenv, names); strings.Join(got, ",") != "ollama,openai" {
		t.Errorf("Configured = %v, want [ollama openai]", got)
	}
	clients, err := provider.FromEnv(getenv, names)
	if err != nil {
		t.Fatal(err)
	}
	if len(clients) != 2 || clients["openai"] == nil || clients["ollama"] == nil {
		t.Errorf("FromEnv = %v", clients)
	}

	env["AZURE_API_KEY"] = "k" // azure has no default base URL
	if _, err := provider.FromEnv(getenv, []string{"azure"}); err == nil || !strings.Contains(err.Error(), "AZURE_BASE_URL") {
		t.Errorf("FromEnv with azure and no base URL: err = %v, want one naming AZURE_BASE_URL", err)
	}
}

func TestEnvNames(t *testing.T) {
	if got := provider.EnvAPIKey("openai"); got != "OPENAI_API_KEY" {
		t.Errorf("EnvAPIKey = %q", got)
	}
	if got := provider.EnvBaseURL("xai"); got != "XAI_BASE_URL" {
		t.Errorf("EnvBaseURL = %q", got)
	}
	if got := provider.DefaultBaseURL("openai"); got != "https://api.openai.com/v1" {
		t.Errorf("DefaultBaseURL = %q", got)
	}
}
