package provider_test

import (
	"testing"

	"github.com/elmohq/telemetry/internal/app/provider"
)

func TestNeedsKey(t *testing.T) {
	for name, want := range map[string]bool{"ollama": false, "openai": true, "azure": true, "openrouter": true} {
		t.Run(name, func(t *testing.T) {
			if got := provider.NeedsKey(name); got != want {
				t.Errorf("NeedsKey(%q) = %v, want %v", name, got, want)
			}
		})
	}
}
