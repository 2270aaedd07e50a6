// Package deployconf reads the settings of the local deployment's
// services from their environment, which is the deployment .env that
// elmo start passes them.
//
// The variables are:
//
//	ELMO_DIR          the deployment directory; default ~/.elmo
//	DATABASE_URL      postgres://... for an external PostgreSQL server
//	WEB_PORT          the web app's port on 127.0.0.1; default 3000
//	WEB_ADDR          the web app's full listen address, overriding WEB_PORT
//	WORKER_INTERVAL   how often the worker looks for due prompts; default 60s
//	PROVIDER_TIMEOUT  how long one provider request may take; default 60s
//	PROMPT_INTERVAL   how often each prompt is run again; default 24h
//
// Durations use Go's syntax, such as 200ms, 90s or 1h30m.
package deployconf

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Defaults of the settings.
const (
	DefaultWebPort         = 3000
	DefaultWorkerInterval  = 60 * time.Second
	DefaultProviderTimeout = 60 * time.Second
	DefaultPromptInterval  = 24 * time.Hour
)

// Settings are a service's settings.
type Settings struct {
	// Dir is the deployment directory.
	Dir string
	// DatabaseURL is DATABASE_URL, empty for the embedded database.
	DatabaseURL string
	// WebAddr is the address the web app listens on.
	WebAddr string
	// WorkerInterval is the pause between the worker's cycles.
	WorkerInterval time.Duration
	// ProviderTimeout bounds one provider request.
	ProviderTimeout time.Duration
	// PromptInterval is how long after a complete round a prompt is due
	// again.
	PromptInterval time.Duration
}

// DefaultDir returns the default deployment directory, ~/.elmo.
func DefaultDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the home directory for the default deployment directory; set ELMO_DIR: %w", err)
	}
	return filepath.Join(home, ".elmo"), nil
}

// Load reads the settings with getenv (os.Getenv when nil). It reports
// every malformed variable at once.
func Load(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	s := Settings{Dir: getenv("ELMO_DIR"), DatabaseURL: getenv("DATABASE_URL")}
	var errs []error
	if s.Dir == "" {
		d, err := DefaultDir()
		errs = append(errs, err)
		s.Dir = d
	}
	s.WebAddr = getenv("WEB_ADDR")
	if s.WebAddr == "" {
		port := DefaultWebPort
		if v := getenv("WEB_PORT"); v != "" {
			p, err := strconv.Atoi(v)
			if err != nil || p < 1 || p > 65535 {
				errs = append(errs, fmt.Errorf("WEB_PORT=%q is not a port number from 1 to 65535", v))
			}
			port = p
		}
		s.WebAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	} else if _, _, err := net.SplitHostPort(s.WebAddr); err != nil {
		errs = append(errs, fmt.Errorf("WEB_ADDR=%q is not a host:port address", s.WebAddr))
	}
	s.WorkerInterval = duration(getenv, "WORKER_INTERVAL", DefaultWorkerInterval, &errs)
	s.ProviderTimeout = duration(getenv, "PROVIDER_TIMEOUT", DefaultProviderTimeout, &errs)
	s.PromptInterval = duration(getenv, "PROMPT_INTERVAL", DefaultPromptInterval, &errs)
	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return s, nil
}

func duration(getenv func(string) string, key string, def time.Duration, errs *[]error) time.Duration {
	v := getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		*errs = append(*errs, fmt.Errorf("%s=%q is not a positive duration such as 90s or 5m", key, v))
		return def
	}
	return d
}
