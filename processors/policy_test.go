package processors

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

func TestDefaultPolicyIsTheCatalog(t *testing.T) {
	p := DefaultPolicy()
	got, want := p.Events(), Catalog()
	if len(got) != len(want) {
		t.Fatalf("DefaultPolicy has %d events, Catalog %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Kind != want[i].Kind || len(got[i].Properties) != len(want[i].Properties) {
			t.Errorf("event %d: policy %+v, catalog %+v", i, got[i], want[i])
		}
	}
	// Every entry and property is documented, as "elmo telemetry events"
	// and the README print them.
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

func TestCatalogV1(t *testing.T) {
	type shape struct {
		kind  Kind
		src   Source
		props map[attribute.Key]ValueType
	}
	want := map[string]shape{
		"cli_":                 {KindSpan, SourceCLI, map[attribute.Key]ValueType{"exit_code": TypeInt}},
		"cli_init":             {KindSpan, SourceCLI, map[attribute.Key]ValueType{"exit_code": TypeInt, "postgres_mode": TypeString, "providers": TypeStringSlice, "has_direct_api": TypeBool, "completed": TypeBool, "failed_step": TypeString}},
		"newsletter_signup":    {KindDirect, SourceCLI, map[attribute.Key]ValueType{"source": TypeString}},
		"prompt_processed":     {KindSpan, SourceWorker, map[attribute.Key]ValueType{"providers": TypeStringSlice, "models": TypeStringSlice, "total_runs": TypeInt, "successful_runs": TypeInt, "failed_runs": TypeInt}},
		"prompt_runs":          {KindCounter, SourceWorker, map[attribute.Key]ValueType{"provider": TypeString, "model": TypeString, "outcome": TypeString}},
		"provider_errors":      {KindCounter, SourceWorker, map[attribute.Key]ValueType{"provider": TypeString, "error_type": TypeString}},
		"prompts_edited":       {KindCounter, SourceWeb, nil},
		"brands_created":       {KindCounter, SourceWeb, nil},
		"reports_run":          {KindCounter, SourceWeb, nil},
		"prompts_tracked":      {KindGauge, SourceWeb, nil},
		"brands":               {KindGauge, SourceWeb, nil},
		"deployment_heartbeat": {KindSpan, SourceWeb, map[attribute.Key]ValueType{"postgres_mode": TypeString, "providers": TypeStringSlice}},
	}
	cat := Catalog()
	if len(cat) != len(want) {
		t.Fatalf("catalog has %d entries, want %d", len(cat), len(want))
	}
	for _, e := range cat {
		w, ok := want[e.Name]
		if !ok {
			t.Errorf("unexpected entry %q", e.Name)
			continue
		}
		if e.Kind != w.kind || e.Source != w.src || e.Prefix != (e.Name == "cli_") {
			t.Errorf("%q: kind %v source %v prefix %v", e.Name, e.Kind, e.Source, e.Prefix)
		}
		if len(e.Properties) != len(w.props) {
			t.Errorf("%q: %d properties, want %d", e.Name, len(e.Properties), len(w.props))
		}
		for _, prop := range e.Properties {
			if w.props[prop.Key] != prop.Type {
				t.Errorf("%q.%s: type %v, want %v", e.Name, prop.Key, prop.Type, w.props[prop.Key])
			}
		}
	}
	if got := Providers(); len(got) != 14 || got[0] != "openai" || got[len(got)-1] != "other" {
		t.Errorf("Providers() = %v", got)
	}
	if got := InitSteps(); !slices.Equal(got, []string{"config", "consent", "env_file", "providers", "database", "newsletter"}) {
		t.Errorf("InitSteps() = %v", got)
	}
	// The lists are copies: changing one changes nothing else.
	Providers()[0] = "/home/x"
	Catalog()[1].Properties[2].Values[0] = "/home/x"
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
	}{
		{"cli_start", attribute.Int("exit_code", 1), ReasonNone},
		{"cli_start", attribute.String("exit_code", "1"), ReasonWrongType},
		{"cli_start", attribute.Bool("completed", true), ReasonKeyNotAllowed},
		{"cli_init", attribute.Bool("completed", true), ReasonNone},
		{"cli_init", attribute.String("postgres_mode", "embedded"), ReasonNone},
		{"cli_init", attribute.String("postgres_mode", "docker"), ReasonNotInEnum},
		{"cli_init", attribute.String("failed_step", "database"), ReasonNone},
		{"cli_init", attribute.String("failed_step", "/tmp/x"), ReasonNotInEnum},
		{"cli_init", attribute.StringSlice("providers", []string{"openai", "ollama"}), ReasonNone},
		{"cli_init", attribute.StringSlice("providers", []string{"openai", "acme-llm"}), ReasonNotInEnum},
		{"prompt_processed", attribute.StringSlice("models", []string{"gpt-4o-mini", "llama3.1:8b"}), ReasonNone},
		{"prompt_processed", attribute.StringSlice("models", []string{"gpt-4o-mini", "Acme Brand Prompt"}), ReasonInvalid},
		{"prompt_processed", attribute.StringSlice("models", []string{"my-llm.internal.corp"}), ReasonHostname},
		{"prompt_processed", attribute.StringSlice("models", []string{strings.Repeat("a1", 20)}), ReasonCredential},
		{"prompt_processed", attribute.StringSlice("models", []string{strings.Repeat("gpt-", 17)}), ReasonInvalid},
		{"prompt_processed", attribute.StringSlice("models", []string{"-gpt"}), ReasonInvalid},
		{"prompt_processed", attribute.Int64("total_runs", 2), ReasonNone},
		{"prompt_processed", attribute.Float64("total_runs", 2), ReasonWrongType},
		{"prompt_runs", attribute.String("model", "claude-3.5-sonnet"), ReasonNone},
		{"prompt_runs", attribute.String("outcome", "ok"), ReasonNone},
		{"provider_errors", attribute.String("error_type", "rate_limited"), ReasonNone},
		{"provider_errors", attribute.String("error_type", "429 Too Many Requests from api.openai.com"), ReasonNotInEnum},
		{"prompts_edited", attribute.String("brand", "Acme"), ReasonKeyNotAllowed},
		{"unknown_event", attribute.Int("exit_code", 0), ReasonKeyNotAllowed},
		{"newsletter_signup", attribute.String("source", "cli_init"), ReasonNone},
		{"newsletter_signup", attribute.String("email", "a@example.com"), ReasonKeyNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.event+"/"+string(tt.kv.Key)+"="+tt.kv.Value.Emit(), func(t *testing.T) {
			out, why, ok := p.Allow(tt.event, tt.kv)
			if why != tt.want || ok != (tt.want == ReasonNone) {
				t.Fatalf("Allow = %v, %v, %v; want reason %v", out, why, ok, tt.want)
			}
			if ok && out != tt.kv {
				t.Errorf("Allow changed the value: %v, want %v", out, tt.kv)
			}
		})
	}
}

func TestPolicyAllowTruncates(t *testing.T) {
	p, err := NewPolicy([]Event{{Name: "note", Kind: KindSpan, Source: SourceCLI, Description: "d",
		Properties: []Property{
			{Key: "text", Type: TypeString, Description: "d"},
			{Key: "texts", Type: TypeStringSlice, Description: "d"},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", MaxValueLen) // 2*MaxValueLen bytes
	out, _, ok := p.Allow("note", attribute.String("text", long))
	if !ok || len(out.Value.AsString()) != MaxValueLen || !strings.HasPrefix(long, out.Value.AsString()) {
		t.Errorf("string: got %d bytes, ok %v", len(out.Value.AsString()), ok)
	}
	out, _, ok = p.Allow("note", attribute.StringSlice("texts", []string{"short", long}))
	if got := out.Value.AsStringSlice(); !ok || len(got) != 2 || got[0] != "short" || len(got[1]) != MaxValueLen {
		t.Errorf("slice: got %q, ok %v", got, ok)
	}
}

func TestNewPolicyErrors(t *testing.T) {
	ok := func() Event {
		return Event{Name: "thing_done", Kind: KindSpan, Source: SourceCLI, Description: "A thing was done.",
			Properties: []Property{{Key: "mode", Type: TypeString, Description: "Mode.", Values: []string{"a", "b"}}}}
	}
	with := func(f func(*Event)) []Event { e := ok(); f(&e); return []Event{e} }
	tests := []struct {
		name   string
		events []Event
		opts   []PolicyOption
		want   string
	}{
		{"empty name", with(func(e *Event) { e.Name = "" }), nil, "empty name"},
		{"upper case name", with(func(e *Event) { e.Name = "ThingDone" }), nil, "only a-z"},
		{"name with space", with(func(e *Event) { e.Name = "thing done" }), nil, "only a-z"},
		{"long name", with(func(e *Event) { e.Name = strings.Repeat("x", MaxEventNameLen+1) }), nil, "longer than"},
		{"duplicate", []Event{ok(), ok()}, nil, "defined twice"},
		{"no kind", with(func(e *Event) { e.Kind = 0 }), nil, "unknown kind"},
		{"no source", with(func(e *Event) { e.Source = "" }), nil, "no source"},
		{"no description", with(func(e *Event) { e.Description = "" }), nil, "no description"},
		{"prefix without underscore", with(func(e *Event) { e.Name, e.Prefix = "cli", true }), nil, `must end with "_"`},
		{"prefix counter", with(func(e *Event) { e.Name, e.Prefix, e.Kind = "cli_", true, KindCounter }), nil, "only span entries"},
		{"overlapping prefixes", []Event{
			{Name: "cli_", Prefix: true, Kind: KindSpan, Source: SourceCLI, Description: "d"},
			{Name: "cli_db_", Prefix: true, Kind: KindSpan, Source: SourceCLI, Description: "d"},
		}, nil, "overlaps"},
		{"empty key", with(func(e *Event) { e.Properties[0].Key = "" }), nil, "empty key"},
		{"duplicate key", with(func(e *Event) { e.Properties = append(e.Properties, e.Properties[0]) }), nil, `"mode": defined twice`},
		{"no property description", with(func(e *Event) { e.Properties[0].Description = "" }), nil, "no description"},
		{"unknown type", with(func(e *Event) { e.Properties[0].Type = 0 }), nil, "unknown type"},
		{"enum on int", with(func(e *Event) { e.Properties[0].Type = TypeInt }), nil, "enumerated values on a int"},
		{"empty enum value", with(func(e *Event) { e.Properties[0].Values = []string{"a", ""} }), nil, "empty enumerated value"},
		{"repeated enum value", with(func(e *Event) { e.Properties[0].Values = []string{"a", "a"} }), nil, "listed twice"},
		{"enum value fails scrubber", with(func(e *Event) { e.Properties[0].Values = []string{"/etc"} }), nil, "would not pass the scrubber"},
		{"format with enum", with(func(e *Event) { e.Properties[0].Format = FormatName }), nil, "together with enumerated"},
		{"format on bool", with(func(e *Event) {
			e.Properties[0] = Property{Key: "b", Type: TypeBool, Description: "d", Format: FormatName}
		}), nil, "format name on a bool"},
		{"person properties on span", with(func(e *Event) { e.PersonProperties = []Property{{Key: "email", Type: TypeString, Description: "d"}} }), nil, "only direct events"},
		{"resource int", []Event{ok()}, []PolicyOption{WithResourceAttributes(Property{Key: "pid", Type: TypeInt, Description: "d"})}, "only strings"},
		{"resource duplicate", []Event{ok()}, []PolicyOption{WithResourceAttributes(
			Property{Key: "os.type", Type: TypeString, Description: "d"},
			Property{Key: "os.type", Type: TypeString, Description: "d"})}, "defined twice"},
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
	if _, err := NewPolicy([]Event{ok()}); err != nil {
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
		attribute.String("elmo.deployment.mode", "/home/canary/mode"), // allowed key, bad value
		attribute.String("host.name", "canary-laptop.local"),
		attribute.String("process.command_args", "elmo init"),
		attribute.Int("os.type.int", 1),
		attribute.String("telemetry.sdk.name", "opentelemetry"),
	)
	got := DefaultPolicy().FilterResource(res)
	want := map[string]string{
		"service.name": "elmo-cli", "service.version": "v0.4.0-rc.1", "os.type": "linux",
		"elmo.install.id": "550e8400-e29b-41d4-a716-446655440000",
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
	for v, want := range map[fmtStringer]string{
		KindSpan: "span", KindCounter: "counter", KindGauge: "gauge", KindDirect: "direct", Kind(9): "Kind(9)",
		TypeString: "string", TypeStringSlice: "string[]", TypeInt: "int", TypeBool: "bool", TypeFloat: "float",
		FormatAny: "any", FormatName: "name", ReasonPath: "path", ReasonSpanNotInCatalog: "span_not_in_catalog",
	} {
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
	if e := (Event{Name: "cli_", Prefix: true}); e.DisplayName() != "cli_<command>" {
		t.Errorf("DisplayName = %q", e.DisplayName())
	}
}

type fmtStringer interface{ String() string }
