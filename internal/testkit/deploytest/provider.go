package deploytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
)

// Provider is a loopback model provider speaking the OpenAI-compatible
// chat-completions API under /v1.
type Provider struct {
	// URL is the base URL to configure, ending in /v1.
	URL string

	srv        *httptest.Server
	status     int
	answer     string
	retryAfter string
	hang       chan struct{}

	mu       sync.Mutex
	requests int
	keys     []string
}

// NewProvider starts a provider that answers every chat completion with
// answer, or, when status is not 200, fails with status.
func NewProvider(status int, answer string) *Provider {
	p := &Provider{status: status, answer: answer}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL + "/v1"
	return p
}

// NewThrottledProvider starts a provider that fails every chat completion
// with status, such as 429 or 503, and a Retry-After header of retryAfter.
func NewThrottledProvider(status int, retryAfter string) *Provider {
	p := &Provider{status: status, retryAfter: retryAfter}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL + "/v1"
	return p
}

// NewHangingProvider starts a provider that never answers until Close.
func NewHangingProvider() *Provider {
	p := &Provider{hang: make(chan struct{})}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL + "/v1"
	return p
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	p.mu.Lock()
	p.requests++
	p.keys = append(p.keys, r.Header.Get("Authorization"))
	p.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	if p.hang != nil {
		select {
		case <-r.Context().Done():
		case <-p.hang:
		}
		return
	}
	if p.status != http.StatusOK {
		if p.retryAfter != "" {
			w.Header().Set("Retry-After", p.retryAfter)
		}
		http.Error(w, `{"error":{"message":"scripted failure"}}`, p.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": p.answer}}},
	})
}

// Requests returns how many requests the provider received.
func (p *Provider) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Close shuts the provider down, releasing hanging requests.
func (p *Provider) Close() {
	if p.hang != nil {
		close(p.hang)
	}
	p.srv.CloseClientConnections()
	p.srv.Close()
}
