package provider_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/elmohq/telemetry/internal/app/provider"
)

func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk-example" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"choices":[{"message":{"content":"Hello!"}}]}`)
	}))
	defer srv.Close()
	defer srv.CloseClientConnections()

	env := map[string]string{"OPENAI_API_KEY": "sk-example", "OPENAI_BASE_URL": srv.URL}
	clients, err := provider.FromEnv(func(k string) string { return env[k] }, []string{"openai", "anthropic"})
	if err != nil {
		fmt.Println(err)
		return
	}
	text, err := clients["openai"].Complete(context.Background(), "gpt-4o-mini", "Say hello.")
	fmt.Println(text, err)

	bad, _ := provider.New("openai", provider.WithBaseURL(srv.URL), provider.WithAPIKey("wrong"))
	_, err = bad.Complete(context.Background(), "gpt-4o-mini", "Say hello.")
	fmt.Println(provider.TypeOf(err))
	// Output:
	// Hello! <nil>
	// auth
}
