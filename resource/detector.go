package resource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/elmohq/telemetry/catalog"
)

// The environment variables the detector reads, which a deployment's
// .env sets.
const (
	// VarDeploymentID holds the deployment ID of a deployment service: a
	// random (version 4) UUID.
	VarDeploymentID = "DEPLOYMENT_ID"
	// VarDeploymentMode holds the deployment mode, such as "local" or
	// "whitelabel".
	VarDeploymentMode = "DEPLOYMENT_MODE"
)

// Role says which kind of Elmo program the resource describes, and so
// which ID identifies it.
type Role int

const (
	// RoleCLI is the elmo command-line tool. It is identified by the
	// install ID recorded in config.json. It is the zero Role.
	RoleCLI Role = iota
	// RoleDeployment is a service of a local deployment, elmo-web or
	// elmo-worker. It is identified by DEPLOYMENT_ID.
	RoleDeployment
)

// String returns "cli" or "deployment", or "Role(n)" for a value that is
// not a Role.
func (r Role) String() string {
	switch r {
	case RoleCLI:
		return "cli"
	case RoleDeployment:
		return "deployment"
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// Option configures a Detector.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	role        Role
	serviceName string
	version     string
	store       InstallIDStore
	create      bool
	getenv      func(string) string
}

// WithRole sets the role of the program. The default is RoleCLI.
func WithRole(r Role) Option {
	return optionFunc(func(c config) config {
		c.role = r
		return c
	})
}

// WithServiceName sets service.name, such as "elmo-cli", "elmo-web" or
// "elmo-worker". It is required. The name must be 1 to 64 lowercase
// letters, digits, '.', '_' or '-', starting with a letter.
func WithServiceName(name string) Option {
	return optionFunc(func(c config) config {
		c.serviceName = name
		return c
	})
}

// WithVersion sets service.version. Without it, the version comes from
// the build (see the package documentation). The version must be 1 to 64
// letters, digits, '.', '+', '_' or '-', starting with a letter or digit.
func WithVersion(version string) Option {
	return optionFunc(func(c config) config {
		c.version = version
		return c
	})
}

// InstallIDStore holds the CLI's install ID: in Elmo, the CLI's
// config.json.
type InstallIDStore interface {
	// InstallID returns the recorded install ID, "" when there is none.
	// When create is true and none is recorded, it creates a random
	// (version 4) UUID, records it and returns it. Its errors must not
	// quote the store's contents.
	InstallID(ctx context.Context, create bool) (string, error)
	// Path names the store for the user, in messages.
	Path() string
}

// WithConfigStore sets the store that holds the install ID (for Elmo, the
// CLI's config.json). It is required in the CLI role and not accepted in
// the deployment role.
func WithConfigStore(store InstallIDStore) Option {
	return optionFunc(func(c config) config {
		c.store = store
		return c
	})
}

// WithCreateInstallID says whether Detect may create and record an install
// ID when none exists yet. Pass true only when telemetry is on: with
// false, the default, Detect never writes config.json. It applies to the
// CLI role only.
func WithCreateInstallID(create bool) Option {
	return optionFunc(func(c config) config {
		c.create = create
		return c
	})
}

// WithGetenv sets the function used to look up DEPLOYMENT_ID and
// DEPLOYMENT_MODE. The default, also used for nil, is os.Getenv.
func WithGetenv(getenv func(string) string) Option {
	return optionFunc(func(c config) config {
		c.getenv = getenv
		return c
	})
}

// Detector detects the resource of an Elmo program. It is safe for
// concurrent use. Create one with NewDetector.
type Detector struct {
	role        Role
	serviceName string
	version     string
	store       InstallIDStore
	create      bool
	getenv      func(string) string
}

var _ sdkresource.Detector = (*Detector)(nil)

// newConfig returns the configuration opts make, with the defaults for
// what they leave unset. Nil options are skipped.
func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			c = o.apply(c)
		}
	}
	if c.getenv == nil {
		c.getenv = os.Getenv
	}
	return c
}

// NewDetector returns a Detector configured by opts. It returns an error
// when an option is missing, malformed, or does not apply to the role.
func NewDetector(opts ...Option) (*Detector, error) {
	c := newConfig(opts)

	switch c.role {
	case RoleCLI:
		if c.store == nil {
			return nil, errors.New("resource: the CLI role needs the config.json store that holds the install ID (use WithConfigStore)")
		}
	case RoleDeployment:
		if c.store != nil {
			return nil, errors.New("resource: WithConfigStore applies to the CLI role only; the deployment role is identified by DEPLOYMENT_ID")
		}
		if c.create {
			return nil, errors.New("resource: WithCreateInstallID applies to the CLI role only; the deployment role has no install ID")
		}
	default:
		return nil, fmt.Errorf("resource: unknown role %s (use RoleCLI or RoleDeployment)", c.role)
	}

	if c.serviceName == "" {
		return nil, errors.New("resource: a service name is required (use WithServiceName, such as elmo-cli)")
	}
	if !validServiceName(c.serviceName) {
		// The name comes from the program, not the user: quoting it helps
		// the developer who mistyped it.
		return nil, fmt.Errorf("resource: service name %q is not valid: want 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter", c.serviceName)
	}

	if c.version == "" {
		v, err := DefaultVersion()
		if err != nil {
			return nil, err
		}
		c.version = v
	} else if !catalog.IsVersion(c.version) {
		return nil, fmt.Errorf("resource: version %q is not valid: want a release version such as 1.4.2 or v2.0.0-rc.1, or %q", c.version, catalog.DevVersion)
	}

	return &Detector{
		role:        c.role,
		serviceName: c.serviceName,
		version:     c.version,
		store:       c.store,
		create:      c.create,
		getenv:      c.getenv,
	}, nil
}

// Detect returns the resource of the program.
//
// When the program's ID or DEPLOYMENT_MODE is missing or malformed, Detect
// returns the resource without that attribute and an error that wraps
// resource.ErrPartialResource and says which variable or file to fix. In
// the CLI role with WithCreateInstallID(true), Detect may wait for another
// elmo process writing config.json; ctx bounds that wait. When ctx is
// already done, Detect returns a nil resource and ctx's error.
func (d *Detector) Detect(ctx context.Context) (*sdkresource.Resource, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("resource: detection canceled: %w", err)
	}

	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs,
		semconv.ServiceName(d.serviceName),
		semconv.ServiceVersion(d.version),
		osType(runtime.GOOS),
		hostArch(runtime.GOARCH),
		semconv.ProcessRuntimeName(catalog.RuntimeGo),
		semconv.ProcessRuntimeVersion(runtimeVersion(runtime.Version())),
	)
	var problems []error

	attrs = append(attrs, catalog.ResourceDeploymentMode.String(d.deploymentMode()))

	switch d.role {
	case RoleCLI:
		if id, err := d.installID(ctx); err != nil {
			problems = append(problems, err)
		} else {
			attrs = append(attrs, catalog.ResourceInstallID.String(id))
		}
	case RoleDeployment:
		if id, err := d.deploymentID(); err != nil {
			problems = append(problems, err)
		} else {
			attrs = append(attrs, catalog.ResourceDeploymentID.String(id))
		}
	}

	res := sdkresource.NewWithAttributes(semconv.SchemaURL, attrs...)
	if len(problems) > 0 {
		return res, fmt.Errorf("%w: %w", sdkresource.ErrPartialResource, errors.Join(problems...))
	}
	return res, nil
}

// deploymentMode returns DEPLOYMENT_MODE as the catalog sends it: the
// default when it is unset, "other" when it is not one of
// catalog.DeploymentModes, since a mode typed by a user can name a
// customer or a brand.
func (d *Detector) deploymentMode() string {
	mode := strings.TrimSpace(d.getenv(VarDeploymentMode))
	if mode == "" {
		return catalog.ModeLocal
	}
	return catalog.DeploymentMode(mode)
}

// deploymentID returns DEPLOYMENT_ID in canonical form.
func (d *Detector) deploymentID() (string, error) {
	raw := strings.TrimSpace(d.getenv(VarDeploymentID))
	if raw == "" {
		return "", fmt.Errorf("%s is not set (elmo init writes it to the deployment .env); %s is left out",
			VarDeploymentID, catalog.ResourceDeploymentID)
	}
	id, ok := canonicalRandomUUID(raw)
	if !ok {
		return "", fmt.Errorf("%s is not a random (version 4) UUID; %s is left out", VarDeploymentID, catalog.ResourceDeploymentID)
	}
	return id, nil
}

// installID returns the install ID from config.json, creating it when
// the detector may.
func (d *Detector) installID(ctx context.Context) (string, error) {
	raw, err := d.store.InstallID(ctx, d.create)
	if err != nil {
		// The store's errors name the file and never quote its values.
		return "", fmt.Errorf("cannot get the install ID; %s is left out: %w", catalog.ResourceInstallID, err)
	}
	if raw == "" {
		return "", fmt.Errorf("no install ID is recorded in %s yet (one is created on the first run with telemetry on); %s is left out",
			d.store.Path(), catalog.ResourceInstallID)
	}
	id, ok := canonicalRandomUUID(raw)
	if !ok {
		return "", fmt.Errorf("telemetryId in %s is not a random (version 4) UUID; %s is left out", d.store.Path(), catalog.ResourceInstallID)
	}
	return id, nil
}

// validServiceName reports whether s has the shape of a service name:
// 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a
// letter. The catalog sends any name but Elmo's own as "other".
func validServiceName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// canonicalRandomUUID parses s as a version 4 (random) UUID of the RFC
// 4122 variant and returns it in canonical lowercase form. Other versions
// are refused: version 1 and 6 UUIDs embed a network card's address.
func canonicalRandomUUID(s string) (string, bool) {
	id, err := uuid.Parse(s)
	if err != nil || id.Version() != 4 || id.Variant() != uuid.RFC4122 {
		return "", false
	}
	return id.String(), true
}

// osType returns os.type for a GOOS value, in the semantic conventions'
// spelling where it differs from Go's.
func osType(goos string) attribute.KeyValue {
	switch goos {
	case "dragonfly":
		return semconv.OSTypeDragonflyBSD
	case "zos":
		return semconv.OSTypeZOS
	}
	return semconv.OSTypeKey.String(goos)
}

// hostArch returns host.arch for a GOARCH value, in the semantic
// conventions' spelling where one exists.
func hostArch(goarch string) attribute.KeyValue {
	switch goarch {
	case "amd64":
		return semconv.HostArchAMD64
	case "arm":
		return semconv.HostArchARM32
	case "arm64":
		return semconv.HostArchARM64
	case "386":
		return semconv.HostArchX86
	case "ppc":
		return semconv.HostArchPPC32
	case "ppc64", "ppc64le":
		return semconv.HostArchPPC64
	case "s390x":
		return semconv.HostArchS390x
	}
	return semconv.HostArchKey.String(goarch)
}

// runtimeVersion reduces runtime.Version() to the Go release, such as
// "go1.26.0": the first word, without GOEXPERIMENT notes or a development
// toolchain's date. A development toolchain is reported as "devel".
func runtimeVersion(v string) string {
	first, _, _ := strings.Cut(v, " ")
	if catalog.IsGoVersion(first) {
		return first
	}
	return "unknown"
}
