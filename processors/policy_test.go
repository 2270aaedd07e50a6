package processors

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/catalog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

func TestDefaultPolicyIsTheCatalog(t *testing.T) {
	p := DefaultPolicy()
	got, want := p.Events(), catalog.Events()
	if len(got) != len(want) {
		t.Fatalf("DefaultPolicy has %d events, Catalog %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Kind != want[i].Kind || len(got[i].Properties) != len(want[i].Properties) {
			t.Errorf("event %d: policy %+v, catalog %+v", i, got[i], want[i])
		}
	}
	// Every entry and property is documented, as "elmo telemetry events"
	// and the telemetry page print them.
	for _, e := range want {
		if e.Description == "" || e.Source == "" {
			t.Errorf("event %q lacks a description or source", e.Name)
		}
		for _, prop := range append(slices.Clone(e.Properties), e.PersonProperties...) {
			if prop.Description == "" || prop.Type == 0 {
				t.Errorf("event %q property %q lacks a description or type", e.Name, prop.Key)
			}
		}
	}
}

// TestCatalogV1 checks that the events of the first catalog keep their
// kind, source, and the type of each property: dashboards and saved
// queries read them (docs/queries.md). New entries and new properties
// are free.
func TestCatalogV1(t *testing.T) {
	type shape struct {
		kind  catalog.Kind
		src   catalog.Source
		props map[attribute.Key]catalog.ValueType
	}
	v1 := map[string]shape{
		"cli_":                 {catalog.KindSpan, catalog.SourceCLI, map[attribute.Key]catalog.ValueType{"exit_code": catalog.TypeInt}},
		"cli_init":             {catalog.KindSpan, catalog.SourceCLI, map[attribute.Key]catalog.ValueType{"exit_code": catalog.TypeInt, "postgres_mode": catalog.TypeString, "providers": catalog.TypeStringSlice, "has_direct_api": catalog.TypeBool, "completed": catalog.TypeBool, "failed_step": catalog.TypeString}},
		"newsletter_signup":    {catalog.KindDirect, catalog.SourceCLI, map[attribute.Key]catalog.ValueType{"source": catalog.TypeString}},
		"prompt_processed":     {catalog.KindSpan, catalog.SourceWorker, map[attribute.Key]catalog.ValueType{"providers": catalog.TypeStringSlice, "models": catalog.TypeStringSlice, "total_runs": catalog.TypeInt, "successful_runs": catalog.TypeInt, "failed_runs": catalog.TypeInt}},
		"prompt_runs":          {catalog.KindCounter, catalog.SourceWorker, map[attribute.Key]catalog.ValueType{"provider": catalog.TypeString, "model": catalog.TypeString, "outcome": catalog.TypeString}},
		"provider_errors":      {catalog.KindCounter, catalog.SourceWorker, map[attribute.Key]catalog.ValueType{"provider": catalog.TypeString, "error_type": catalog.TypeString}},
		"prompts_edited":       {catalog.KindCounter, catalog.SourceWeb, nil},
		"brands_created":       {catalog.KindCounter, catalog.SourceWeb, nil},
		"reports_run":          {catalog.KindCounter, catalog.SourceWeb, nil},
		"prompts_tracked":      {catalog.KindGauge, catalog.SourceWeb, nil},
		"brands":               {catalog.KindGauge, catalog.SourceWeb, nil},
		"deployment_heartbeat": {catalog.KindSpan, catalog.SourceWeb, map[attribute.Key]catalog.ValueType{"postgres_mode": catalog.TypeString, "providers": catalog.TypeStringSlice}},
	}
	entries := map[string]catalog.Event{}
	for _, e := range catalog.Events() {
		entries[e.Name] = e
	}
	for name, w := range v1 {
		e, ok := entries[name]
		if !ok {
			t.Errorf("entry %q is gone", name)
			continue
		}
		if e.Kind != w.kind || e.Source != w.src || e.Prefix != (name == "cli_") {
			t.Errorf("%q: kind %v source %v prefix %v, want %v %v", name, e.Kind, e.Source, e.Prefix, w.kind, w.src)
		}
		types := map[attribute.Key]catalog.ValueType{}
		for _, prop := range e.Properties {
			types[prop.Key] = prop.Type
		}
		for key, typ := range w.props {
			if types[key] != typ {
				t.Errorf("%q.%s: type %v, want %v", name, key, types[key], typ)
			}
		}
	}
	if got := catalog.Providers(); len(got) != 14 || got[0] != "openai" || got[len(got)-1] != "other" {
		t.Errorf("Providers() = %v", got)
	}
	if got := catalog.InitSteps(); !slices.Equal(got, []string{"config", "consent", "env_file", "providers", "database", "newsletter"}) {
		t.Errorf("InitSteps() = %v", got)
	}
	catalog.
		// The lists are copies: changing one changes nothing else.
		Providers()[0] = "/home/x"
	catalog.Events()[1].Properties[2].Values[0] = "/home/x"
	if _, why, ok := DefaultPolicy().Allow("cli_init", attribute.StringSlice("providers", []string{"openai"})); !ok {
		t.Errorf("openai no longer allowed after changing a copy: %v", why)
	}
}

func TestPolicyEvent(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"cli_init", "cli_init", true},
		{"cli_start", "cli_", true},
		{"cli_telemetry_status", "cli_", true},
		{"cli_", "", false},
		{"cli_Start", "", false},
		{"cli_start now", "", false},
		{"cli_" + strings.Repeat("x", MaxEventNameLen), "", false},
		{"prompt_runs", "prompt_runs", true},
		{"newsletter_signup", "newsletter_signup", true},
		{"HTTP GET", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := p.Event(tt.name)
			if ok != tt.ok || e.Name != tt.want {
				t.Errorf("Event(%q) = %q, %v; want %q, %v", tt.name, e.Name, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPolicyAllow(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		event string
		kv    attribute.KeyValue
		want  Reason
		sent  attribute.Value // what is sent when it differs from kv's value
	}{
		{"cli_start", attribute.Int("exit_code", 1), ReasonNone, attribute.Value{}},
		{"cli_start", attribute.String("exit_code", "1"), ReasonWrongType, attribute.Value{}},
		{"cli_start", attribute.Bool("completed", true), ReasonKeyNotAllowed, attribute.Value{}},
		{"cli_init", attribute.Bool("completed", true), ReasonNone, attribute.Value{}},
		{"cli_init", attribute.String("postgres_mode", "embedded"), ReasonNone, attribute.Value{}},
		{"cli_init", attribute.String("postgres_mode", "docker"), ReasonNotInEnum, attribute.Value{}},
		{"cli_init", attribute.String("failed_step", "database"), ReasonNone, attribute.Value{}},
		{"cli_init", attribute.String("failed_step", "/tmp/x"), ReasonNotInEnum, attribute.Value{}},
		{"cli_init", attribute.StringSlice("providers", []string{"openai", "ollama"}), ReasonNone, attribute.Value{}},
		{"cli_init", attribute.StringSlice("providers", []string{"openai", "acme-llm"}), ReasonNone,
			attribute.StringSliceValue([]string{"openai", "other"})},
		{"cli_init", attribute.StringSlice("providers", []string{"acme-llm", "openai", "alice-llm"}), ReasonNone,
			attribute.StringSliceValue([]string{"other", "openai"})},
		{"prompt_processed", attribute.StringSlice("models", []string{"gpt-4o-mini", "claude-3.5-sonnet"}), ReasonNone, attribute.Value{}},
		{"prompt_processed", attribute.StringSlice("models", []string{"gpt-4o-mini", "llama3.1:8b"}), ReasonNone,
			attribute.StringSliceValue([]string{"gpt-4o-mini", "llama3.1"})},
		{"prompt_processed", attribute.StringSlice("models", []string{"gpt-4o-mini", "Acme Brand Prompt"}), ReasonNone,
			attribute.StringSliceValue([]string{"gpt-4o-mini", "other"})},
		{"prompt_processed", attribute.StringSlice("models", []string{"my-llm.internal.corp"}), ReasonNone,
			attribute.StringSliceValue([]string{"other"})},
		{"prompt_processed", attribute.StringSlice("models", []string{strings.Repeat("a1", 20)}), ReasonNone,
			attribute.StringSliceValue([]string{"other"})},
		{"prompt_processed", attribute.StringSlice("models", []string{strings.Repeat("gpt-", 17)}), ReasonNone,
			attribute.StringSliceValue([]string{"other"})},
		{"prompt_processed", attribute.StringSlice("models", []string{"ft:gpt-4o-mini:acme::x"}), ReasonNone,
			attribute.StringSliceValue([]string{"fine-tuned"})},
		{"prompt_processed", attribute.Int64("total_runs", 2), ReasonNone, attribute.Value{}},
		{"prompt_processed", attribute.Float64("total_runs", 2), ReasonWrongType, attribute.Value{}},
		{"prompt_runs", attribute.String("model", "claude-3.5-sonnet"), ReasonNone, attribute.Value{}},
		{"prompt_runs", attribute.String("model", "anthropic/claude-3.5-sonnet"), ReasonNone, attribute.StringValue("claude-3.5-sonnet")},
		{"prompt_runs", attribute.String("model", "alice-laptop:11434"), ReasonNone, attribute.StringValue("other")},
		{"prompt_runs", attribute.String("outcome", "ok"), ReasonNone, attribute.Value{}},
		{"provider_errors", attribute.String("error_type", "rate_limited"), ReasonNone, attribute.Value{}},
		{"provider_errors", attribute.String("error_type", "429 Too Many Requests from api.openai.com"), ReasonNone, attribute.StringValue("other")},
		{"prompts_edited", attribute.String("brand", "Acme"), ReasonKeyNotAllowed, attribute.Value{}},
		{"unknown_event", attribute.Int("exit_code", 0), ReasonKeyNotAllowed, attribute.Value{}},
		{"newsletter_signup", attribute.String("source", "cli_init"), ReasonNone, attribute.Value{}},
		{"newsletter_signup", attribute.String("email", "a@example.com"), ReasonKeyNotAllowed, attribute.Value{}},
	}
	for _, tt := range tests {
		t.Run(tt.event+"/"+string(tt.kv.Key)+"="+tt.kv.Value.Emit(), func(t *testing.T) {
			out, why, ok := p.Allow(tt.event, tt.kv)
			if why != tt.want || ok != (tt.want == ReasonNone) {
				t.Fatalf("Allow = %v, %v, %v; want reason %v", out, why, ok, tt.want)
			}
			want := tt.kv
			if tt.sent.Type() != attribute.INVALID {
				want.Value = tt.sent
			}
			if ok && out != want {
				t.Errorf("Allow sent %v, want %v", out.Value.Emit(), want.Value.Emit())
			}
		})
	}
}

// TestPolicyAllowLongModelName checks that a model name too long to be a
// public one is sent as other, never truncated.
func TestPolicyAllowLongModelName(t *testing.T) {
	long := strings.Repeat("é", MaxValueLen)
	out, why, ok := DefaultPolicy().Allow(catalog.EventPromptRuns, attribute.String(string(catalog.KeyModel), long))
	if !ok || out.Value.AsString() != catalog.ModelOther {
		t.Errorf("Allow = %v, %v, %v; want other", out.Value.Emit(), why, ok)
	}
}

func TestNewPolicyErrors(t *testing.T) {
	ok := func() catalog.Event {
		return catalog.Event{Name: "thing_done", Kind: catalog.KindSpan, Source: catalog.SourceCLI, Description: "A thing was done.",
			Properties: []catalog.Property{{Key: "mode", Type: catalog.TypeString, Description: "Mode.", Values: []string{"a", "b"}}}}
	}
	with := func(f func(*catalog.Event)) []catalog.Event { e := ok(); f(&e); return []catalog.Event{e} }
	tests := []struct {
		name   string
		events []catalog.Event
		opts   []PolicyOption
		want   string
	}{
		{"empty name", with(func(e *catalog.Event) { e.Name = "" }), nil, "empty name"},
		{"upper case name", with(func(e *catalog.Event) { e.Name = "ThingDone" }), nil, "only a-z"},
		{"name with space", with(func(e *catalog.Event) { e.Name = "thing done" }), nil, "only a-z"},
		{"long name", with(func(e *catalog.Event) { e.Name = strings.Repeat("x", MaxEventNameLen+1) }), nil, "longer than"},
		{"duplicate", []catalog.Event{ok(), ok()}, nil, "defined twice"},
		{"no kind", with(func(e *catalog.Event) { e.Kind = 0 }), nil, "unknown kind Kind(0): set Kind to catalog.KindSpan"},
		{"no source", with(func(e *catalog.Event) { e.Source = "" }), nil, "no source"},
		{"no description", with(func(e *catalog.Event) { e.Description = "" }), nil, "no description"},
		{"prefix without underscore", with(func(e *catalog.Event) { e.Name, e.Prefix = "cli", true }), nil, `must end with "_"`},
		{"prefix counter", with(func(e *catalog.Event) { e.Name, e.Prefix, e.Kind = "cli_", true, catalog.KindCounter }), nil, "only span entries"},
		{"overlapping prefixes", []catalog.Event{
			{Name: "cli_", Prefix: true, Kind: catalog.KindSpan, Source: catalog.SourceCLI, Description: "d"},
			{Name: "cli_db_", Prefix: true, Kind: catalog.KindSpan, Source: catalog.SourceCLI, Description: "d"},
		}, nil, "overlaps"},
		{"empty key", with(func(e *catalog.Event) { e.Properties[0].Key = "" }), nil, "empty key"},
		{"duplicate key", with(func(e *catalog.Event) { e.Properties = append(e.Properties, e.Properties[0]) }), nil, `"mode": defined twice`},
		{"no property description", with(func(e *catalog.Event) { e.Properties[0].Description = "" }), nil, "no description"},
		{"unknown type", with(func(e *catalog.Event) { e.Properties[0].Type = 0 }), nil, "unknown type"},
		{"enum on int", with(func(e *catalog.Event) { e.Properties[0].Type = catalog.TypeInt }), nil, "enumerated values on a int"},
		{"empty enum value", with(func(e *catalog.Event) { e.Properties[0].Values = []string{"a", ""} }), nil, "empty enumerated value"},
		{"repeated enum value", with(func(e *catalog.Event) { e.Properties[0].Values = []string{"a", "a"} }), nil, "listed twice"},
		{"enum value fails scrubber", with(func(e *catalog.Event) { e.Properties[0].Values = []string{"/etc"} }), nil, "would not pass the scrubber"},
		{"rule with enum", with(func(e *catalog.Event) { e.Properties[0].Rule = catalog.RuleModelName }), nil, "together with enumerated"},
		{"rule on bool", with(func(e *catalog.Event) {
			e.Properties[0] = catalog.Property{Key: "b", Type: catalog.TypeBool, Description: "d", Rule: catalog.RuleModelName}
		}), nil, "rule model-name on a bool"},
		{"free-form string", with(func(e *catalog.Event) { e.Properties[0].Values = nil }), nil, "free-form string: no string is sent as typed, so list its Values"},
		{"free-form string slice", with(func(e *catalog.Event) {
			e.Properties[0] = catalog.Property{Key: "names", Type: catalog.TypeStringSlice, Description: "d"}
		}), nil, "free-form string"},
		{"unknown rule", with(func(e *catalog.Event) {
			e.Properties[0] = catalog.Property{Key: "v", Type: catalog.TypeString, Description: "d", Rule: 99}
		}), nil, "unknown rule"},
		{"fallback outside the values", with(func(e *catalog.Event) { e.Properties[0].Other = "c" }), nil, `fallback "c" is not one of the values`},
		{"person properties on span", with(func(e *catalog.Event) {
			e.PersonProperties = []catalog.Property{{Key: "email", Type: catalog.TypeString, Description: "d"}}
		}), nil, "only direct events"},
		{"resource int", []catalog.Event{ok()}, []PolicyOption{WithResourceAttributes(catalog.Property{Key: "pid", Type: catalog.TypeInt, Description: "d"})}, "only strings"},
		{"resource duplicate", []catalog.Event{ok()}, []PolicyOption{WithResourceAttributes(catalog.Property{Key: "os.type", Type: catalog.TypeString, Description: "d"}, catalog.Property{Key: "os.type", Type: catalog.TypeString, Description: "d"})}, "defined twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPolicy(tt.events, tt.opts...)
			if err == nil {
				t.Fatalf("NewPolicy returned %v and no error", p)
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("error %v does not wrap ErrInvalidPolicy", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	if _, err := NewPolicy([]catalog.Event{ok()}); err != nil {
		t.Errorf("valid policy: %v", err)
	}
	if _, err := NewPolicy(nil); err != nil {
		t.Errorf("empty policy: %v", err)
	}
}

func TestFilterResource(t *testing.T) {
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.40.0",
		attribute.String("service.name", "elmo-cli"),
		attribute.String("service.version", "v0.4.0-rc.1"),
		attribute.String("os.type", "linux"),
		attribute.String("elmo.install.id", "550e8400-e29b-41d4-a716-446655440000"),
		attribute.String("elmo.deployment.mode", "/home/canary/mode"),                  // allowed key, sent as other
		attribute.String("elmo.deployment.id", "550e8400-e29b-11d4-a716-446655440000"), // not a random UUID: dropped
		attribute.String("host.name", "canary-laptop.local"),
		attribute.String("process.command_args", "elmo init"),
		attribute.Int("os.type.int", 1),
		attribute.String("telemetry.sdk.name", "opentelemetry"),
	)
	got := DefaultPolicy().FilterResource(res)
	want := map[string]string{
		"service.name": "elmo-cli", "service.version": "v0.4.0-rc.1", "os.type": "linux",
		"elmo.install.id": "550e8400-e29b-41d4-a716-446655440000", "elmo.deployment.mode": "other",
	}
	if got.Len() != len(want) {
		t.Errorf("kept %d attributes: %v", got.Len(), got.Attributes())
	}
	for _, kv := range got.Attributes() {
		if want[string(kv.Key)] != kv.Value.AsString() {
			t.Errorf("unexpected %v", kv)
		}
	}
	if got.SchemaURL() != res.SchemaURL() {
		t.Errorf("schema URL %q", got.SchemaURL())
	}
	if DefaultPolicy().FilterResource(nil).Len() != 0 {
		t.Error("nil resource gave attributes")
	}
	if p, _ := NewPolicy(nil); p.FilterResource(res).Len() != 0 {
		t.Error("a policy without resource attributes kept some")
	}
}

func TestStrings(t *testing.T) {
	for v, want := range map[fmtStringer]string{catalog.KindSpan: "span", catalog.KindCounter: "counter", catalog.KindGauge: "gauge", catalog.KindDirect: "direct", catalog.Kind(9): "Kind(9)", catalog.TypeString: "string", catalog.TypeStringSlice: "string[]", catalog.TypeInt: "int", catalog.TypeBool: "bool", catalog.TypeFloat: "float", catalog.RuleModelName: "model-name", catalog.RuleVersion: "version", ReasonPath: "path", ReasonSpanNotInCatalog: "span_not_in_catalog"} {
		if got := v.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", v, got, want)
		}
	}
	if len(Reasons()) != int(numReasons)-1 {
		t.Errorf("Reasons() has %d entries", len(Reasons()))
	}
	for _, r := range Reasons() {
		if strings.HasPrefix(r.String(), "Reason(") || r.String() == "" {
			t.Errorf("reason %d has no name", r)
		}
	}
	if e := (catalog.Event{Name: "cli_", Prefix: true}); e.DisplayName() != "cli_<command>" {
		t.Errorf("DisplayName = %q", e.DisplayName())
	}
}

type fmtStringer interface{ String() string }
