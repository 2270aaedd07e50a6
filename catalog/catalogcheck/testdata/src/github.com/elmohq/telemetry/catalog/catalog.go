// Package catalog is a stub of github.com/elmohq/telemetry/catalog for
// the analyzer's tests: the types of a catalog entry and the constants
// the test packages use, with the values of the real package. The
// analyzer checks against the real catalog, which it is built with.
package catalog

import "go.opentelemetry.io/otel/attribute"

type Kind int

const (
	KindSpan Kind = iota + 1
	KindCounter
	KindGauge
	KindDirect
)

type Source string

const SourceWeb Source = "web"

type ValueType int

const (
	TypeString ValueType = iota + 1
	TypeStringSlice
	TypeInt
	TypeBool
	TypeFloat
)

type Rule int

const (
	RuleNone Rule = iota
	RuleModelName
)

type Property struct {
	Key         attribute.Key
	Type        ValueType
	Description string
	Values      []string
	Other       string
	Rule        Rule
}

type Event struct {
	Name        string
	Kind        Kind
	Source      Source
	Description string
	Properties  []Property
	Prefix      bool
}

const (
	EventCLIInit             = "cli_init"
	EventPromptProcessed     = "prompt_processed"
	EventPromptRuns          = "prompt_runs"
	EventProviderErrors      = "provider_errors"
	EventBrands              = "brands"
	EventDeploymentHeartbeat = "deployment_heartbeat"
)

const (
	KeyExitCode     = attribute.Key("exit_code")
	KeyPostgresMode = attribute.Key("postgres_mode")
	KeyProviders    = attribute.Key("providers")
	KeyCompleted    = attribute.Key("completed")
	KeyFailedStep   = attribute.Key("failed_step")
	KeyModels       = attribute.Key("models")
	KeyTotalRuns    = attribute.Key("total_runs")
	KeyProvider     = attribute.Key("provider")
	KeyModel        = attribute.Key("model")
	KeyOutcome      = attribute.Key("outcome")
	KeyErrorType    = attribute.Key("error_type")
)
