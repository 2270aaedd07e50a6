package main

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/app/service"
	"github.com/elmohq/telemetry/internal/app/store"
	"github.com/elmohq/telemetry/internal/testkit/deploytest"
)

// The state changes elmo-web logs about delivery to PostHog.
const (
	captureDownLine = "telemetry: cannot reach PostHog"
	captureBackLine = "telemetry: PostHog is reachable again"
)

var (
	deliveredLate = regexp.MustCompile(`\bdelivered_late=(\d+)\b`)
	droppedCount  = regexp.MustCompile(`\bdropped=(\d+)\b`)
)

// TestPostHogOutageLosesNoCount is the PostHog route through an outage of
// capture (503 for 6 s or more, through several failed exports): every
// brands_created of the outage arrives once capture answers again, with
// the exports of the running elmo-web and not only at its next start, and
// once only. Nothing is left for the spool at stop, and the log says the
// outage in two lines: one when capture goes down, one when it is back,
// with the events delivered late and none dropped.
func TestPostHogOutageLosesNoCount(t *testing.T) {
	t.Parallel()
	const minOutage = 6 * time.Second
	// A Send makes at most this many attempts (the exporter's default of
	// 4 retries), and elmo-web has two pipelines, spans and metrics, that
	// may each have one Send in flight.
	const (
		attemptsPerSend = 5
		sendsInFlight   = 2
	)
	capture := posthogtest.NewServer()
	defer capture.Close()
	capture.SetDefault(posthogtest.Respond(http.StatusServiceUnavailable))
	env := webEnv(t, capture.URL)
	env["OTEL_METRIC_EXPORT_INTERVAL"] = "500"
	outageOver := time.After(minOutage)
	p, base := startWeb(t, env)
	c := newClient(t, base)

	ctx, cancel := deploytest.Context()
	defer cancel()
	refused := func() int {
		n := 0
		for _, r := range capture.Requests() {
			if r.Status == http.StatusServiceUnavailable {
				n++
			}
		}
		return n
	}
	// waitCapture blocks until done holds, checking after each request
	// capture receives (its events are recorded with it).
	waitCapture := func(what string, done func() bool) {
		t.Helper()
		for !done() {
			if _, err := capture.WaitForRequests(ctx, len(capture.Requests())+1); err != nil {
				t.Fatalf("%s: %v\noutput:\n%s", what, err, p.Output)
			}
		}
	}

	// Brands are created through the outage, each after capture has
	// refused as many requests as one export may make, until it has
	// lasted long enough.
	brands := 0
	for outage := true; outage; {
		var b store.Brand
		c.do("POST", "/api/brands", map[string]string{"name": fmt.Sprintf("Outage brand %d", brands)}, &b, http.StatusCreated)
		brands++
		seen := refused()
		select {
		case <-outageOver:
			// The export that collects the last brand is refused too:
			// past the attempts of the Sends in flight when it was
			// created, the next refused request belongs to a later one.
			seen += attemptsPerSend * sendsInFlight
			outage = false
		default:
			seen += attemptsPerSend - 1
		}
		waitCapture(fmt.Sprintf("capture refused no export after brand %d", brands), func() bool { return refused() > seen })
	}
	events := capture.Events()
	if got := deploytest.Sum(events, "brands_created", nil); got != 0 || len(events) != 0 {
		t.Fatalf("control: %d events (brands_created %v) were accepted during the outage", len(events), got)
	}
	if _, err := p.Output.WaitFor(ctx, captureDownLine); err != nil {
		t.Fatalf("control: elmo-web did not say capture was down: %v\noutput:\n%s", err, p.Output)
	}
	capture.SetDefault(posthogtest.Accept())

	// What the outage held goes out with the exports of the running
	// elmo-web, as soon as capture answers.
	sum := func() float64 { return deploytest.Sum(capture.Events(), "brands_created", nil) }
	waitCapture("the brands_created of the outage did not arrive while elmo-web ran", func() bool {
		return sum() >= float64(brands)
	})
	if got := sum(); got != float64(brands) {
		t.Errorf("brands_created summed to %v after the outage, want %d: a count arrived twice", got, brands)
	}
	back, err := p.Output.WaitFor(ctx, captureBackLine)
	if err != nil {
		t.Fatalf("elmo-web did not say capture was reachable again: %v\noutput:\n%s", err, p.Output)
	}

	stop, cancelStop := deploytest.Context()
	defer cancelStop()
	if err := p.Stop(stop); err != nil {
		t.Fatalf("elmo-web did not stop cleanly: %v\noutput:\n%s", err, p.Output)
	}
	if got := sum(); got != float64(brands) {
		t.Errorf("brands_created summed to %v after the stop, want %d: the stop sent counts the running service had kept", got, brands)
	}
	uuids := map[string]int{}
	for _, e := range capture.Events() {
		uuids[e.UUID]++
	}
	for id, n := range uuids {
		if n > 1 {
			t.Errorf("event %s arrived %d times, want once", id, n)
		}
	}
	spool := service.SpoolPath(env["ELMO_DIR"], serviceName)
	if data, err := os.ReadFile(spool); err == nil && len(strings.TrimSpace(string(data))) > 0 {
		t.Errorf("the spool holds events after a stop with capture up; the running service should have sent them:\n%s", data)
	} else if err != nil && !os.IsNotExist(err) {
		t.Errorf("reading the spool: %v", err)
	}

	// The log: two lines for the outage, none per export.
	var down, up int
	for _, line := range p.Output.All() {
		if strings.Contains(line, captureDownLine) {
			down++
		}
		if strings.Contains(line, captureBackLine) {
			up++
		}
	}
	if down != 1 || up != 1 {
		t.Errorf("%d lines say capture is down and %d that it is back, want 1 and 1\noutput:\n%s", down, up, p.Output)
	}
	late, dropped := logCount(deliveredLate, back), logCount(droppedCount, back)
	if late <= 0 || dropped != 0 {
		t.Errorf("recovery line %q: delivered_late=%d dropped=%d, want delivered_late > 0 and dropped=0", back, late, dropped)
	}
	for _, leak := range deploytest.Leaks(capture.Requests(), "Outage brand", env["ELMO_DIR"]) {
		t.Error(leak)
	}
}

// logCount returns the number re captures in line, or -1 when it has none.
func logCount(re *regexp.Regexp, line string) int {
	m := re.FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return -1
	}
	return n
}
