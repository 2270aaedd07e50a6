// Package otelsetup wires Elmo's telemetry pipeline. This file is a
// placeholder with the final API shape; the pipeline is being built.
package otelsetup

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// Role says which kind of Elmo program is starting.
type Role int

const (
	// RoleCLI is the elmo command-line tool: identity is the install ID in
	// config.json, consent comes from config.json and the environment.
	RoleCLI Role = iota
	// RoleDeployment is a service of the local deployment (elmo-web,
	// elmo-worker): identity is DEPLOYMENT_ID, consent comes from the
	// environment (the deployment .env).
	RoleDeployment
)

// Option configures Start.
type Option func(*config)

type config struct {
	role       Role
	service    string
	version    string
	exitBudget time.Duration
	logger     *slog.Logger
	stderr     io.Writer
	getenv     func(string) string
}

// WithRole sets the role. The default is RoleCLI.
func WithRole(r Role) Option { return func(c *config) { c.role = r } }

// WithServiceName sets service.name, such as "elmo-cli" or "elmo-web".
func WithServiceName(name string) Option { return func(c *config) { c.service = name } }

// WithVersion sets service.version.
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithExitBudget bounds how long Shutdown spends delivering in the CLI role.
func WithExitBudget(d time.Duration) Option { return func(c *config) { c.exitBudget = d } }

// WithLogger receives pipeline errors. The default discards them.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithStderr is where the first-run notice and warnings are written.
func WithStderr(w io.Writer) Option { return func(c *config) { c.stderr = w } }

// Telemetry is the running pipeline.
type Telemetry struct{ enabled bool }

// Start builds the pipeline and installs the global providers.
func Start(ctx context.Context, opts ...Option) (*Telemetry, error) {
	return &Telemetry{}, nil
}

// Enabled reports whether telemetry is on for this process.
func (t *Telemetry) Enabled() bool { return t.enabled }

// Shutdown flushes and stops the pipeline.
func (t *Telemetry) Shutdown(ctx context.Context) error { return nil }
