package e2e

import (
	"bufio"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/clitest"
	"github.com/elmohq/telemetry/otelsetup"
	"github.com/elmohq/telemetry/processors"
)

// "Telemetry comes from two places, and the same opt-out covers both: the
// CLI, with events from the `elmo` commands you run on your machine, and
// your local deployment, with events from the web app and the worker that
// `elmo start` runs."
//
// The opt-out half of the sentence is checked by
// TestPromise_InitAsksAndChoiceCoversCLIAndDeployment and
// TestPromise_DisableTurnsOffEverything.
func TestPromise_TelemetryComesFromCLIAndDeployment(t *testing.T) {
	sc := sharedScenario(t)
	cli := sc.cliEvents()
	if len(cli) == 0 {
		t.Fatalf("no CLI events arrived; events %s", posthogtest.Names(sc.events))
	}
	for _, e := range cli {
		if e.Properties["service"] != "elmo-cli" || e.DistinctID != sc.installID {
			t.Errorf("CLI event %s: service %v, distinct_id %q; want elmo-cli keyed by the install ID", e.Event, e.Properties["service"], e.DistinctID)
		}
	}
	sc.requireDeployment(t)
	for _, service := range []string{"elmo-web", "elmo-worker"} {
		evs := byService(sc.deploymentEvents(), service)
		if len(evs) == 0 {
			t.Errorf("no events from %s; deployment events %s", service, posthogtest.Names(sc.deploymentEvents()))
		}
	}
	for _, e := range sc.events {
		if s := e.Properties["service"]; s != "elmo-cli" && s != "elmo-web" && s != "elmo-worker" && e.Event != "newsletter_signup" {
			t.Errorf("event %s comes from %v, which is neither the CLI nor the deployment", e.Event, s)
		}
	}
}

// "All events go to PostHog."
//
// Every request goes to the capture API of the configured host
// (ELMO_POSTHOG_HOST) with the project key, and without that variable the
// binaries send to PostHog's own host, https://us.i.posthog.com.
func TestPromise_AllEventsGoToPostHog(t *testing.T) {
	if otelsetup.DefaultPostHogHost != "https://us.i.posthog.com" || exporter.DefaultHost != otelsetup.DefaultPostHogHost {
		t.Errorf("default hosts: otelsetup %q, exporter %q; want https://us.i.posthog.com", otelsetup.DefaultPostHogHost, exporter.DefaultHost)
	}

	t.Run("every request is a PostHog capture request", func(t *testing.T) {
		sc := sharedScenario(t)
		if len(sc.reqs) == 0 {
			t.Fatal("no request arrived")
		}
		for _, r := range sc.reqs {
			if r.Method != http.MethodPost || r.Path != "/batch/" || r.Status != http.StatusOK {
				t.Errorf("request %s %s answered %d; want POST /batch/ accepted", r.Method, r.Path, r.Status)
			}
			if !strings.Contains(string(r.Body), `"api_key":"`+testKey+`"`) {
				t.Errorf("a request does not carry the project key: %.200s", r.Body)
			}
		}
	})

	t.Run("the default host is PostHog's", func(t *testing.T) {
		// Without ELMO_POSTHOG_HOST, the binaries must connect to
		// us.i.posthog.com. A proxy on loopback sees where they go, and
		// refuses: nothing leaves the machine.
		proxy := newConnectRecorder(t)
		s := newSandbox(t)
		s.WriteConfig(consentGiven)
		s.Extra["ELMO_POSTHOG_HOST"] = ""
		s.Extra["HTTPS_PROXY"] = proxy.url
		s.Extra["https_proxy"] = proxy.url
		s.MustRun("version")
		// The command's background sender connects after it exits, and
		// retries the refusals until its deadline: once it has
		// connected, it has shown where it goes.
		if got := proxy.waitFor(t, "us.i.posthog.com:443"); !slices.Contains(got, "us.i.posthog.com:443") {
			t.Errorf("elmo connected to %v, want us.i.posthog.com:443", got)
		}
		clitest.KillSendersUnder(s.Home)
		if n := s.settle(); n != 0 {
			t.Errorf("the loopback server got %d requests although ELMO_POSTHOG_HOST was unset", n)
		}

		if clitest.ServicesErr() != nil {
			t.Logf("the deployment's default host is not checked: %v", clitest.ServicesErr())
			return
		}
		s.MustRun("init", "--yes")
		// The sender of init connects to the same host: it must not be
		// taken for the deployment.
		proxy.waitFor(t, "us.i.posthog.com:443")
		clitest.KillSendersUnder(s.Home)
		s.WaitSenders()
		proxy.reset()
		st := s.startStack(nil)
		st.stop()
		if got := proxy.hosts(); !slices.Contains(got, "us.i.posthog.com:443") {
			t.Errorf("the deployment connected to %v, want us.i.posthog.com:443", got)
		}
	})
}

// connectRecorder is an HTTPS proxy on loopback that records the host of
// each CONNECT request and refuses it.
type connectRecorder struct {
	url    string
	mu     sync.Mutex
	seen   []string
	change chan struct{} // closed and replaced on each CONNECT
}

func newConnectRecorder(t *testing.T) *connectRecorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectRecorder{url: "http://" + ln.Addr().String(), change: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				p.mu.Lock()
				p.seen = append(p.seen, req.Host)
				close(p.change)
				p.change = make(chan struct{})
				p.mu.Unlock()
				_, _ = c.Write([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return p
}

func (p *connectRecorder) hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// waitFor waits until the proxy has seen a CONNECT to host, and returns
// the hosts it has seen: all of them after waitTimeout, when host has not
// come.
func (p *connectRecorder) waitFor(t *testing.T, host string) []string {
	t.Helper()
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for {
		p.mu.Lock()
		seen, change := slices.Clone(p.seen), p.change
		p.mu.Unlock()
		if slices.Contains(seen, host) {
			return seen
		}
		select {
		case <-change:
		case <-timeout.C:
			return seen
		}
	}
}

func (p *connectRecorder) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = nil
}

// "The install ID is a random UUID that the CLI creates on its first run
// with telemetry on and stores in `~/.config/elmo/config.json`."
func TestPromise_InstallIDIsRandomUUIDStoredInConfigJSON(t *testing.T) {
	s := newSandbox(t)
	s.Extra["XDG_CONFIG_HOME"] = "" // the default place, as the page says
	s.ConfigHome = s.Home + "/.config"
	s.MustRun("init", "--yes")
	id := s.InstallID()
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || u.String() != id {
		t.Fatalf("~/.config/elmo/config.json telemetryId = %q, want a random (version 4) UUID", id)
	}
	s.MustRun("version")
	evs := s.Events(2)
	for _, e := range evs {
		if e.DistinctID != id {
			t.Errorf("%s distinct_id = %q, want the install ID %q", e.Event, e.DistinctID, id)
		}
	}
	if again := s.InstallID(); again != id {
		t.Errorf("the install ID changed from %s to %s on a later run", id, again)
	}

	// Another machine gets another ID.
	other := newSandbox(t)
	other.MustRun("init", "--yes")
	if oid := other.InstallID(); oid == id || oid == "" {
		t.Errorf("two installs got install IDs %q and %q, want two different ones", id, oid)
	}
}

// "Your local deployment gets a separate random UUID, written to its
// `.env` as `DEPLOYMENT_ID` by `elmo init`."
func TestPromise_DeploymentGetsSeparateRandomUUIDInEnv(t *testing.T) {
	sc := sharedScenario(t)
	u, err := uuid.Parse(sc.deploymentID)
	if err != nil || u.Version() != 4 || u.String() != sc.deploymentID {
		t.Fatalf(".env DEPLOYMENT_ID = %q, want a random (version 4) UUID:\n%s", sc.deploymentID, sc.envFile)
	}
	if sc.deploymentID == sc.installID {
		t.Fatalf("DEPLOYMENT_ID is the install ID %s", sc.installID)
	}
	for _, e := range sc.cliEvents() {
		if strings.Contains(string(e.Raw), sc.deploymentID) {
			t.Errorf("CLI event %s carries the deployment ID", e.Event)
		}
	}

	// init keeps the ID of an existing deployment.
	s := newSandbox(t)
	s.MustRun("init", "--yes", "--telemetry=false")
	first := s.EnvFile()
	s.MustRun("init", "--yes", "--telemetry=false", "--port", "4000")
	if id := envValue(first, "DEPLOYMENT_ID"); id == "" || envValue(s.EnvFile(), "DEPLOYMENT_ID") != id {
		t.Errorf("a second init changed DEPLOYMENT_ID:\nbefore:\n%s\nafter:\n%s", first, s.EnvFile())
	}

	sc.requireDeployment(t)
	dep := sc.deploymentEvents()
	if len(dep) == 0 {
		t.Fatalf("no event is keyed by DEPLOYMENT_ID; events %s", posthogtest.Names(sc.events))
	}
	for _, e := range dep {
		if strings.Contains(string(e.Raw), sc.installID) {
			t.Errorf("deployment event %s carries the install ID", e.Event)
		}
	}
	for _, e := range sc.events {
		if s := e.Properties["service"]; (s == "elmo-web" || s == "elmo-worker") && e.DistinctID != sc.deploymentID {
			t.Errorf("%s event %s is keyed by %q, not DEPLOYMENT_ID", s, e.Event, e.DistinctID)
		}
	}
}

// envValue returns the value of key in a .env file's text.
func envValue(env, key string) string {
	for _, line := range strings.Split(env, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+"="); ok {
			return v
		}
	}
	return ""
}

// "Neither is derived from your machine, your email, your username or any
// configuration value."
//
// The same machine, user, email and configuration, byte for byte, set up
// twice, get different IDs: they cannot be a function of any of them.
func TestPromise_IDsNotDerivedFromMachineEmailUsernameOrConfig(t *testing.T) {
	s := newSandbox(t)
	s.plantCanaries()
	args := []string{"init", "--yes", "--mode", "local", "--port", "3000"}
	var installs, deployments []string
	for range 2 {
		s.MustRun(args...)
		installs = append(installs, s.InstallID())
		deployments = append(deployments, envValue(s.EnvFile(), "DEPLOYMENT_ID"))
		// Forget the IDs, keep everything else.
		for _, f := range []string{s.ConfigPath(), s.EnvPath()} {
			if err := removeFile(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	if installs[0] == installs[1] || deployments[0] == deployments[1] {
		t.Errorf("identical set-ups got install IDs %v and deployment IDs %v; want different ones", installs, deployments)
	}
	host, _ := hostname()
	for _, id := range append(installs, deployments...) {
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 4 {
			t.Errorf("ID %q is not a random (version 4) UUID", id)
		}
		for _, v := range []string{canaryUser, canaryHost, canaryEmail, host, s.Home} {
			if v != "" && strings.Contains(id, v) {
				t.Errorf("ID %q contains %q", id, v)
			}
		}
	}
}

// "Every event carries the version, operating system, architecture and Go
// version of the program that sends it, and the deployment mode (`local`,
// `whitelabel`)."
//
// Elmo is written in Go: the runtime version is Go's.
func TestPromise_EventsIncludeVersionOSArchRuntimeAndMode(t *testing.T) {
	want := map[string]any{
		"version":         testVersion,
		"os":              runtime.GOOS,
		"arch":            semconvArch(runtime.GOARCH),
		"runtime_version": strings.Fields(runtime.Version())[0],
		"deployment_mode": "whitelabel",
	}
	check := func(t *testing.T, evs []posthogtest.Event, want map[string]any) {
		t.Helper()
		if len(evs) == 0 {
			t.Fatal("no events to check")
		}
		for _, e := range evs {
			for k, v := range want {
				if got := e.Properties[k]; got != v {
					t.Errorf("%s (%v) %s = %#v, want %#v", e.Event, e.Properties["service"], k, got, v)
				}
			}
		}
	}
	t.Run("CLI", func(t *testing.T) {
		check(t, sharedScenario(t).cliEvents(), want)
	})
	t.Run("deployment", func(t *testing.T) {
		sc := sharedScenario(t)
		sc.requireDeployment(t)
		check(t, sc.deploymentEvents(), want)
	})
	t.Run("default mode is local", func(t *testing.T) {
		s := newSandbox(t)
		s.MustRun("init", "--yes")
		local := maps(want, map[string]any{"deployment_mode": "local"})
		check(t, s.Events(1), local)
	})
}

// maps returns a copy of base with over applied.
func maps(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// semconvArch spells GOARCH as OpenTelemetry's host.arch does.
func semconvArch(goarch string) string {
	switch goarch {
	case "arm":
		return "arm32"
	case "386":
		return "x86"
	case "ppc64le":
		return "ppc64"
	}
	return goarch
}

// "A command sends its name, its exit code and a small set of non-secret
// options: whether storage is embedded or an external PostgreSQL server,
// which model providers are configured (their names only), whether `elmo
// init` completed and the step where it stopped."
func TestPromise_CommandNameAndNonSecretOptions(t *testing.T) {
	sc := sharedScenario(t)
	cli := sc.cliEvents()
	names := map[string]int{}
	for _, e := range cli {
		names[e.Event]++
	}
	for name, n := range map[string]int{"cli_init": 2, "cli_version": 2, "cli_telemetry_status": 1, "cli_telemetry_events": 1} {
		if names[name] != n {
			t.Errorf("got %d %s events, want %d, one per command run; events %s", names[name], name, n, posthogtest.Names(cli))
		}
	}
	var ok *posthogtest.Event
	for i, e := range posthogtest.Named(cli, "cli_init") {
		if e.Properties["completed"] == true {
			ok = &posthogtest.Named(cli, "cli_init")[i]
		}
	}
	if ok == nil {
		t.Fatalf("no completed cli_init")
	}
	p := ok.Properties
	if p["postgres_mode"] != "embedded" || p["has_direct_api"] != true || p["exit_code"] != float64(0) {
		t.Errorf("cli_init postgres_mode %v, has_direct_api %v, exit_code %v; want embedded, true, 0", p["postgres_mode"], p["has_direct_api"], p["exit_code"])
	}
	if got, _ := p["providers"].([]any); len(got) != 2 || got[0] != "mistral" || got[1] != "openai" {
		t.Errorf("cli_init providers = %v, want [mistral openai]", p["providers"])
	}

	// "A small set": nothing but the catalog's properties of each event,
	// the common ones and the transport's.
	policy := processors.DefaultPolicy()
	// The system context PostHog's Go client adds ($os, $os_version,
	// $os_distro, $go_version) is never sent: it is not allowed here.
	common := []string{"version", "os", "arch", "runtime_version", "deployment_mode", "service", "duration_ms", "success", "value", "$lib", "$lib_version"}
	for _, e := range sc.events {
		entry, ok := policy.Event(e.Event)
		if !ok {
			t.Errorf("event %s is not in the catalog", e.Event)
			continue
		}
		allowed := slices.Clone(common)
		for _, p := range entry.Properties {
			allowed = append(allowed, string(p.Key))
		}
		if len(entry.PersonProperties) > 0 {
			allowed = append(allowed, "$set")
		}
		for k := range e.Properties {
			if !slices.Contains(allowed, k) {
				t.Errorf("%s carries %q, which is not one of its properties in the catalog", e.Event, k)
			}
		}
		if prov, ok := e.Properties["providers"].([]any); ok {
			for _, v := range prov {
				if !slices.Contains(catalog.Providers(), v.(string)) {
					t.Errorf("%s providers holds %q, which is not on the fixed list", e.Event, v)
				}
			}
		}
	}

	// Whether PostgreSQL is external, never where it is.
	s := newSandbox(t)
	s.WriteConfig(consentGiven)
	s.MustRun("init", "--yes", "--database-url", "postgres://elmo:"+canaryDBPass+"@"+canaryHost+":5432/elmo")
	init := posthogtest.Named(s.Events(1), "cli_init")
	if len(init) != 1 || init[0].Properties["postgres_mode"] != "external" {
		t.Errorf("cli_init = %v, want postgres_mode external", init)
	}
	assertAbsent(t, "cli_init", bodies(s.Server.Requests()), s.EnvFile(), canaryDBPass, canaryHost, "postgres://")
}

// "The web app sends feature counts, such as prompts edited, brands
// created and reports run: counts only, never the names or text."
func TestPromise_FeatureCountsOnlyNeverNamesOrText(t *testing.T) {
	sc := sharedScenario(t)
	sc.requireDeployment(t)
	web := byService(sc.deploymentEvents(), "elmo-web")
	// The session created one brand and one prompt, edited the prompt
	// once and ran one report.
	for name, want := range map[string]float64{
		"brands_created":  1,
		"prompts_edited":  1,
		"reports_run":     1,
		"brands":          1,
		"prompts_tracked": 1,
	} {
		evs := posthogtest.Named(web, name)
		if len(evs) == 0 {
			t.Errorf("no %s event; web events %s", name, posthogtest.Names(web))
			continue
		}
		var sum float64
		for _, e := range evs {
			v, ok := e.Properties["value"].(float64)
			if !ok {
				t.Errorf("%s value = %#v, want a number", name, e.Properties["value"])
			}
			if name == "brands" || name == "prompts_tracked" {
				sum = v // a gauge: the last value
			} else {
				sum += v
			}
			for k, pv := range e.Properties {
				if strings.HasPrefix(k, "$") || slices.Contains([]string{"value", "version", "os", "arch", "runtime_version", "deployment_mode", "service"}, k) {
					continue
				}
				t.Errorf("%s carries %s = %v besides its count", name, k, pv)
			}
		}
		if sum != want {
			t.Errorf("%s = %v, want %v", name, sum, want)
		}
	}
	assertAbsent(t, "feature counts", sc.body, sc.input, canaryBrand, canaryPrompt, canaryEdited)
}

// "PostHog records the IP address each request comes from and uses it for
// approximate location."
//
// GeoIP is left on: no event asks PostHog to skip it, and no event sets
// an IP of its own in place of the request's.
func TestPromise_IPUsedForGeolocation(t *testing.T) {
	sc := sharedScenario(t)
	if len(sc.events) == 0 {
		t.Fatal("no events to check")
	}
	for _, e := range sc.events {
		for _, k := range []string{"$geoip_disable", "$ip"} {
			if v, ok := e.Properties[k]; ok {
				t.Errorf("%s sets %s = %v", e.Event, k, v)
			}
		}
	}
	if strings.Contains(string(sc.body), "geoip") {
		t.Errorf("a request mentions geoip: %.300s", sc.body)
	}
	// The requests come straight from the programs, from an address
	// PostHog can see: no proxy header replaces it.
	for _, r := range sc.reqs {
		if r.Header.Get("X-Forwarded-For") != "" {
			t.Errorf("a request sets X-Forwarded-For %q", r.Header.Get("X-Forwarded-For"))
		}
	}
}

// "We use this data to answer questions like these: how many Elmo
// deployments run, and on what versions; how many prompts they track;
// which model providers are most used, and which produce the most errors;
// how often `elmo init` succeeds end to end, and where it stops; whether
// embedded storage or an external PostgreSQL server is more common."
//
// The events carry what answers each question, and no more (see the
// tests of what is not collected).
func TestPromise_EventsAnswerTheQuestionsWeCollectFor(t *testing.T) {
	sc := sharedScenario(t)
	inits := posthogtest.Named(sc.cliEvents(), "cli_init")
	var completed, failed bool
	for _, e := range inits {
		switch e.Properties["completed"] {
		case true:
			completed = true
		case false:
			failed = e.Properties["failed_step"] == "providers"
		}
	}
	if !completed || !failed {
		t.Errorf("cli_init events %v: want one completed and one that failed at the providers step", inits)
	}
	sc.requireDeployment(t)
	dep := sc.deploymentEvents()
	hb := posthogtest.Named(dep, "deployment_heartbeat")
	if len(hb) == 0 || hb[0].Properties["version"] != testVersion || hb[0].Properties["postgres_mode"] != "embedded" {
		t.Errorf("deployment_heartbeat = %v, want one with the version and postgres_mode embedded", hb)
	}
	if len(posthogtest.Named(dep, "prompts_tracked")) == 0 {
		t.Errorf("no prompts_tracked event")
	}
	providers := map[string]bool{}
	for _, e := range posthogtest.Named(dep, "prompt_runs") {
		providers[e.Properties["provider"].(string)+"/"+e.Properties["outcome"].(string)] = true
	}
	if !providers["openai/ok"] || !providers["mistral/error"] {
		t.Errorf("prompt_runs by provider and outcome = %v, want openai/ok and mistral/error", providers)
	}
	errs := posthogtest.Named(dep, "provider_errors")
	if len(errs) == 0 || errs[0].Properties["provider"] != "mistral" {
		t.Errorf("provider_errors = %v, want mistral's errors", errs)
	}
}
