package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/elmohq/telemetry/catalog"
)

// ErrorType is the class of a provider failure. Its values are the
// error_type values of the provider_errors telemetry event.
type ErrorType string

// The classes of provider failures.
const (
	// TypeTimeout is a request that did not complete in time.
	TypeTimeout ErrorType = catalog.ErrorTimeout
	// TypeRateLimited is a request refused with 429 Too Many Requests.
	TypeRateLimited ErrorType = catalog.ErrorRateLimited
	// TypeAuth is a request refused with 401 or 403, or a provider with no
	// credentials configured.
	TypeAuth ErrorType = catalog.ErrorAuth
	// TypeServerError is a 5xx answer.
	TypeServerError ErrorType = catalog.ErrorServerError
	// TypeBadRequest is a 4xx answer other than 401, 403, 408 and 429,
	// such as 400 for a malformed request or 404 for an unknown model.
	TypeBadRequest ErrorType = catalog.ErrorBadRequest
	// TypeNetwork is a failure to reach the provider: refused or reset
	// connection, unknown host, TLS failure.
	TypeNetwork ErrorType = catalog.ErrorNetwork
	// TypeInvalidResponse is a 2xx answer that is not a chat completion
	// with at least one choice.
	TypeInvalidResponse ErrorType = catalog.ErrorInvalidResponse
	// TypeOther is any other failure.
	TypeOther ErrorType = catalog.ErrorOther
)

// ErrNotConfigured is wrapped by the error returned for a provider that
// has neither an API key nor a base URL in the environment.
var ErrNotConfigured = errors.New("provider is not configured")

// Error is a failed chat completion.
type Error struct {
	// Provider is the name of the provider, such as "openai".
	Provider string
	// Type is the class of the failure.
	Type ErrorType
	// StatusCode is the HTTP status of the answer, or 0 when there was
	// none.
	StatusCode int
	// RetryAfter is how long the provider asked to wait before the next
	// request, from the Retry-After header of a failed answer (in seconds
	// or as a date); 0 when it did not say.
	RetryAfter time.Duration
	// Err is the underlying error.
	Err error
}

// Error returns a message that names the provider, the class of failure
// and its cause. It never includes the API key, the prompt or the
// response body.
func (e *Error) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s: %s (HTTP %d): %v", e.Provider, e.Type, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Provider, e.Type, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// TypeOf returns the class of err: the Type of an *Error in its chain,
// TypeTimeout for a deadline or a network timeout, TypeNetwork for other
// network errors, and TypeOther for a cancellation and anything else,
// including nil.
func TypeOf(err error) ErrorType {
	if err == nil {
		return TypeOther
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Type
	}
	return classifyTransport(err)
}

// classifyTransport classifies an error returned by the HTTP client.
func classifyTransport(err error) ErrorType {
	if errors.Is(err, context.Canceled) {
		return TypeOther
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return TypeTimeout
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return TypeTimeout
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return TypeNetwork
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return TypeNetwork
	}
	return TypeOther
}

// classifyStatus classifies a non-2xx HTTP status.
func classifyStatus(code int) ErrorType {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return TypeAuth
	case code == http.StatusTooManyRequests:
		return TypeRateLimited
	case code == http.StatusRequestTimeout:
		return TypeTimeout
	case code >= 500:
		return TypeServerError
	case code >= 400:
		return TypeBadRequest
	default:
		return TypeInvalidResponse
	}
}

// maxRetryAfter caps a Retry-After, so that a broken or hostile answer
// cannot stop a provider for good.
const maxRetryAfter = 24 * time.Hour
