// Package provider is the worker's client for model providers that speak
// the OpenAI-compatible chat-completions API.
//
// A Client sends one prompt to one model with POST {base}/chat/completions
// and a bearer key, and returns the text of the first choice. Every failure
// is an *Error that carries a Type from a fixed list (timeout,
// rate_limited, auth, server_error, bad_request, network,
// invalid_response, other), so callers can count failures by class
// without ever looking at, storing or reporting an error message.
//
// Clients are configured from the deployment's environment with FromEnv:
// <NAME>_API_KEY and <NAME>_BASE_URL, where NAME is the provider name in
// upper case, such as OPENAI_API_KEY. Well-known providers have a default
// base URL; see DefaultBaseURL.
package provider
