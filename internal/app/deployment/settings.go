package deployment

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/elmohq/telemetry/internal/pipeline/userdir"
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

// IsPostgresURL reports whether u, a value of DATABASE_URL, selects an
// external PostgreSQL server: a postgres:// or postgresql:// URL.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// DefaultDir returns the default deployment directory, ~/.elmo.
func DefaultDir() (string, error) { return defaultDir(os.Getenv) }

// defaultDir returns ~/.elmo, finding the home directory from HOME as
// getenv reads it, else from the system.
func defaultDir(getenv func(string) string) (string, error) {
	home, err := userdir.Home(getenv)
	if err != nil {
		return "", fmt.Errorf("cannot find the default deployment directory; set %s: %w", VarElmoDir, err)
	}
	return filepath.Join(home, ".elmo"), nil
}

// Load reads the settings with getenv (os.Getenv when nil). It reports
// every malformed variable at once.
func Load(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	s := Settings{Dir: getenv(VarElmoDir), DatabaseURL: getenv(VarDatabaseURL)}
	var errs []error
	if s.Dir == "" {
		d, err := defaultDir(getenv)
		errs = append(errs, err)
		s.Dir = d
	}
	s.WebAddr = getenv("WEB_ADDR")
	if s.WebAddr == "" {
		port := DefaultWebPort
		if v := getenv(VarWebPort); v != "" {
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
