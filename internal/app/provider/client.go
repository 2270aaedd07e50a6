package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/elmohq/telemetry/internal/pipeline/retryafter"
)

// maxResponseSize bounds how much of an answer a Client reads.
const maxResponseSize = 8 << 20

// Option configures a Client.
type Option func(*config)

type config struct {
	baseURL string
	apiKey  string
	client  *http.Client
}

// WithBaseURL sets the API base URL, such as https://api.openai.com/v1;
// requests go to its /chat/completions. The default is
// DefaultBaseURL(name).
func WithBaseURL(u string) Option { return func(c *config) { c.baseURL = u } }

// WithAPIKey sets the key sent as a bearer token. Without it no
// Authorization header is sent, as local servers such as Ollama expect.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithHTTPClient sets the HTTP client requests go through. The default is
// a client with its own clone of http.DefaultTransport and no timeout:
// each call's context bounds it.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.client = hc } }

// Client sends chat completions to one provider. It is safe for
// concurrent use.
type Client struct {
	name     string
	endpoint string
	apiKey   string
	http     *http.Client
}

// New returns a Client for the provider called name. It fails when name
// is empty or the base URL is missing or not an http or https URL.
func New(name string, opts ...Option) (*Client, error) {
	if name == "" {
		return nil, errors.New("provider: the provider name is empty")
	}
	c := config{baseURL: DefaultBaseURL(name)}
	for _, o := range opts {
		o(&c)
	}
	if c.baseURL == "" {
		return nil, fmt.Errorf("provider %s: no base URL: set %s", name, EnvBaseURL(name))
	}
	u, err := url.Parse(c.baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("provider %s: the base URL in %s is not an http or https URL", name, EnvBaseURL(name))
	}
	if c.client == nil {
		c.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return &Client{
		name:     name,
		endpoint: strings.TrimRight(c.baseURL, "/") + "/chat/completions",
		apiKey:   c.apiKey,
		http:     c.client,
	}, nil
}

// Name returns the provider's name.
func (c *Client) Name() string { return c.name }

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
}

type chatResponse struct {
	Choices []struct {
		Message *struct {
			Content *string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
}

// Complete sends prompt as a user message to model and returns the text
// of the first choice. ctx bounds the whole call; when it ends first the
// error's Type is TypeTimeout (deadline) or TypeOther (cancellation).
// Every error is an *Error.
func (c *Client) Complete(ctx context.Context, model, prompt string) (string, error) {
	body, err := json.Marshal(chatRequest{
		Model:    model,
		Messages: []chatMessage{{Role: "user", Content: prompt}},
	})
	if err != nil {
		return "", c.fail(TypeOther, 0, fmt.Errorf("encoding the request: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", c.fail(TypeOther, 0, fmt.Errorf("building the request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", c.fail(classifyTransport(err), 0, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize+1))
	if err != nil {
		return "", c.fail(classifyTransport(err), resp.StatusCode, fmt.Errorf("reading the answer: %w", err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := c.fail(classifyStatus(resp.StatusCode), resp.StatusCode, errors.New(http.StatusText(resp.StatusCode)))
		e.RetryAfter = retryafter.Parse(resp.Header.Get("Retry-After"), time.Now(), maxRetryAfter)
		return "", e
	}
	if len(data) > maxResponseSize {
		return "", c.fail(TypeInvalidResponse, resp.StatusCode, fmt.Errorf("the answer is larger than %d bytes", maxResponseSize))
	}
	var cr chatResponse
	if err := json.Unmarshal(data, &cr); err != nil {
		return "", c.fail(TypeInvalidResponse, resp.StatusCode, errors.New("the answer is not a JSON chat completion"))
	}
	if len(cr.Choices) == 0 || cr.Choices[0].Message == nil || cr.Choices[0].Message.Content == nil {
		return "", c.fail(TypeInvalidResponse, resp.StatusCode, errors.New("the answer has no message"))
	}
	return *cr.Choices[0].Message.Content, nil
}

func (c *Client) fail(t ErrorType, status int, err error) *Error {
	return &Error{Provider: c.name, Type: t, StatusCode: status, Err: err}
}
