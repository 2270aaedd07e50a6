package deployment_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elmohq/telemetry/internal/app/deployment"
)

func TestLoad(t *testing.T) {
	t.Setenv("HOME", "/home/someone")
	tests := []struct {
		name    string
		env     map[string]string
		want    deployment.Settings
		wantErr []string
	}{
		{
			name: "defaults",
			env:  map[string]string{},
			want: deployment.Settings{
				Dir: filepath.Join("/home/someone", ".elmo"), WebAddr: "127.0.0.1:3000",
				WorkerInterval: time.Minute, ProviderTimeout: time.Minute, PromptInterval: 24 * time.Hour,
			},
		},
		{
			name: "set",
			env: map[string]string{
				"ELMO_DIR": "/srv/elmo", "DATABASE_URL": "postgres://db/elmo", "WEB_PORT": "8080",
				"WORKER_INTERVAL": "200ms", "PROVIDER_TIMEOUT": "2s", "PROMPT_INTERVAL": "1h",
			},
			want: deployment.Settings{
				Dir: "/srv/elmo", DatabaseURL: "postgres://db/elmo", WebAddr: "127.0.0.1:8080",
				WorkerInterval: 200 * time.Millisecond, ProviderTimeout: 2 * time.Second, PromptInterval: time.Hour,
			},
		},
		{
			name: "WEB_ADDR wins",
			env:  map[string]string{"ELMO_DIR": "/d", "WEB_PORT": "8080", "WEB_ADDR": "127.0.0.1:0"},
			want: deployment.Settings{
				Dir: "/d", WebAddr: "127.0.0.1:0",
				WorkerInterval: time.Minute, ProviderTimeout: time.Minute, PromptInterval: 24 * time.Hour,
			},
		},
		{
			name:    "malformed",
			env:     map[string]string{"WEB_PORT": "http", "WORKER_INTERVAL": "5", "PROVIDER_TIMEOUT": "-1s"},
			wantErr: []string{"WEB_PORT", "WORKER_INTERVAL", "PROVIDER_TIMEOUT"},
		},
		{
			name:    "bad WEB_ADDR",
			env:     map[string]string{"WEB_ADDR": "localhost"},
			wantErr: []string{"WEB_ADDR"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deployment.Load(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("Load succeeded, want an error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %s", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Load = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestIsPostgresURL(t *testing.T) {
	for u, want := range map[string]bool{
		"postgres://u@h/db":   true,
		"postgresql://u@h/db": true,
		"":                    false,
		"sqlite://x":          false,
		"file:elmo.db":        false,
	} {
		if got := deployment.IsPostgresURL(u); got != want {
			t.Errorf("IsPostgresURL(%q) = %v, want %v", u, got, want)
		}
	}
}
