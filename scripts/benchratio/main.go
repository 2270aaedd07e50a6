// Command benchratio reads `go test -bench` output on its standard input
// and prints a Markdown table of the targets: the median over the runs of
// each ratio (or difference) against its baseline, measured in the same
// run. It exits 1 when a target is missed, 2 when the input cannot be
// read. Rows of packages with no results are left out. scripts/bench
// runs the benchmarks and calls it.
package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// check is a row: the metric unit of bench, against the metric baseUnit of
// the same benchmark, or of base when set (the value is then the
// difference). diff is the unit of a difference, "" for a ratio. A NaN
// target is shown, never failed.
type check struct {
	pkg, label, bench, unit, base, baseUnit, baseLabel, diff string
	target                                                   float64
}

// checks are the targets, in the order of the table.
var checks = []check{
	{"processors", "span pipeline, filter keeping all attributes (b/a)", "BenchmarkSpanPipeline/ratios", "b/a", "", "a-ns/span", "bare SDK", "", 1.25},
	{"processors", "span pipeline, filter dropping half (c/a)", "BenchmarkSpanPipeline/ratios", "c/a", "", "a-ns/span", "bare SDK", "", 1.5},
	{"exporter", "delivery to the last ack, legacy: time per event (throughput >= 1.0x)", "BenchmarkDelivery/legacy", "time-ratio", "", "base-ns/event", "posthog-go direct", "", 1.0},
	{"exporter", "delivery to the last ack, legacy: CPU per event", "BenchmarkDelivery/legacy", "cpu-ratio", "", "base-cpu-ns/event", "posthog-go direct", "", 1.25},
	{"exporter", "delivery to the last ack, v1: time per event (throughput >= 1.0x)", "BenchmarkDelivery/v1", "time-ratio", "", "base-ns/event", "posthog-go direct, v1", "", 1.0},
	{"exporter", "delivery to the last ack, v1: CPU per event", "BenchmarkDelivery/v1", "cpu-ratio", "", "base-cpu-ns/event", "posthog-go direct, v1", "", 1.25},
	{"otelsetup", "span, telemetry off (in turns)", "BenchmarkRatios/span-off", "off/noop", "", "base-ns/op", "no-op tracer", "", 1.1},
	{"otelsetup", "span, telemetry off: extra allocations", "BenchmarkSpan/off", "allocs/op", "BenchmarkSpan/noop", "allocs/op", "no-op tracer", "allocs/op", 0},
	{"otelsetup", "span, telemetry on, events encoded in the background: caller's path (in turns)", "BenchmarkRatios/span-on", "on/sdk", "", "base-ns/op", "bare SDK + encoder", "", 1.3},
	{"otelsetup", "span delivered to the last ack, none dropped: time (throughput >= 1.0x)", "BenchmarkRatios/span-delivered", "time-ratio", "", "base-ns/span", "bare SDK + posthog-go", "", 1.0},
	{"otelsetup", "span delivered to the last ack, none dropped: CPU", "BenchmarkRatios/span-delivered", "cpu-ratio", "", "base-cpu-ns/span", "bare SDK + posthog-go", "", 1.25},
	{"otelsetup", "counter add, PostHog route (in turns)", "BenchmarkRatios/counter-on/posthog", "on/sdk", "", "base-ns/op", "bare SDK", "", 1.25},
	{"otelsetup", "counter add, OTLP route (in turns)", "BenchmarkRatios/counter-on/otlp", "on/sdk", "", "base-ns/op", "bare SDK", "", 1.25},
	{"otelsetup", "counter add, console route (in turns)", "BenchmarkRatios/counter-on/console", "on/sdk", "", "base-ns/op", "bare SDK", "", 1.25},
	{"cmd/elmo", "elmo version exit, server answers (in turns)", "BenchmarkExit/server=answers", "extra-ms", "", "off-ms", "telemetry off", "ms", 5},
	{"cmd/elmo", "elmo version exit, server refuses (in turns)", "BenchmarkExit/server=refuses", "extra-ms", "", "off-ms", "telemetry off", "ms", 5},
	{"cmd/elmo", "elmo version exit, server hangs (in turns)", "BenchmarkExit/server=hangs", "extra-ms", "", "off-ms", "telemetry off", "ms", 300},
	{"cmd/elmo", "elmo version exit, server answers 503 (in turns)", "BenchmarkExit/server=503", "extra-ms", "", "off-ms", "telemetry off", "ms", 300},
	{"cmd/elmo", "elmo version exit, server answers 413 (in turns)", "BenchmarkExit/server=413", "extra-ms", "", "off-ms", "telemetry off", "ms", 300},
	{"cmd/elmo", "elmo version exit, server answers, v1 capture (in turns)", "BenchmarkExit/server=answers,capture=v1", "extra-ms", "", "off-ms", "telemetry off", "ms", 5},
	{"cmd/elmo", "elmo version exit, server refuses, v1 capture (in turns)", "BenchmarkExit/server=refuses,capture=v1", "extra-ms", "", "off-ms", "telemetry off", "ms", 5},
	{"cmd/elmo", "elmo version exit, server hangs, v1 capture (in turns)", "BenchmarkExit/server=hangs,capture=v1", "extra-ms", "", "off-ms", "telemetry off", "ms", 300},
	{"cmd/elmo", "elmo version exit, server answers 503, v1 capture (in turns)", "BenchmarkExit/server=503,capture=v1", "extra-ms", "", "off-ms", "telemetry off", "ms", 300},
	{"cmd/elmo", "elmo version exit, server answers 413, v1 capture (in turns)", "BenchmarkExit/server=413,capture=v1", "extra-ms", "", "off-ms", "telemetry off", "ms", 300},
	{"cmd/elmo", "elmo version exit, TLS capture 0 ms away (in turns)", "BenchmarkExitLatency/rtt=0ms", "extra-ms", "", "off-ms", "telemetry off", "ms", 5},
	{"cmd/elmo", "events of every command acknowledged after the last exit, capture 0 ms away", "BenchmarkExitLatency/rtt=0ms", "deliver-ms", "BenchmarkExitLatency/rtt=0ms", "bound-ms", "bound: 2 s + 10 round trips", "ms", 0},
	{"cmd/elmo", "elmo version exit, TLS capture 50 ms away (in turns)", "BenchmarkExitLatency/rtt=50ms", "extra-ms", "", "off-ms", "telemetry off", "ms", 5},
	{"cmd/elmo", "events of every command acknowledged after the last exit, capture 50 ms away", "BenchmarkExitLatency/rtt=50ms", "deliver-ms", "BenchmarkExitLatency/rtt=50ms", "bound-ms", "bound: 2 s + 10 round trips", "ms", 0},
	{"cmd/elmo", "elmo version exit, TLS capture 100 ms away (in turns)", "BenchmarkExitLatency/rtt=100ms", "extra-ms", "", "off-ms", "telemetry off", "ms", 5},
	{"cmd/elmo", "events of every command acknowledged after the last exit, capture 100 ms away", "BenchmarkExitLatency/rtt=100ms", "deliver-ms", "BenchmarkExitLatency/rtt=100ms", "bound-ms", "bound: 2 s + 10 round trips", "ms", 0},
	{"cmd/elmo", "elmo version exit, TLS capture 200 ms away (in turns)", "BenchmarkExitLatency/rtt=200ms", "extra-ms", "", "off-ms", "telemetry off", "ms", 5},
	{"cmd/elmo", "events of every command acknowledged after the last exit, capture 200 ms away", "BenchmarkExitLatency/rtt=200ms", "deliver-ms", "BenchmarkExitLatency/rtt=200ms", "bound-ms", "bound: 2 s + 10 round trips", "ms", 0},
	{"cmd/elmo", "elmo version exit, TLS capture 400 ms away (in turns)", "BenchmarkExitLatency/rtt=400ms", "extra-ms", "", "off-ms", "telemetry off", "ms", 5},
	{"cmd/elmo", "events of every command acknowledged after the last exit, capture 400 ms away", "BenchmarkExitLatency/rtt=400ms", "deliver-ms", "BenchmarkExitLatency/rtt=400ms", "bound-ms", "bound: 2 s + 10 round trips", "ms", 0},
	{"cmd/elmo", "elmo version start-up, telemetry off", "BenchmarkStartup/telemetry=off", "extra-ms", "", "base-ms", "no-telemetry build", "ms", 2},
	{"cmd/elmo", "elmo binary size", "BenchmarkStartup/size", "extra-MB", "", "base-MB", "no-telemetry build", "MB", 3},
	{"cmd/elmo", "binary size of an HTTPS client posting JSON, nothing else (the floor of in-process delivery)", "BenchmarkStartup/size-floor", "extra-MB", "", "base-MB", "no-telemetry build", "MB", math.NaN()},
	{"cmd/elmo", "elmo binary size over that floor", "BenchmarkStartup/size-over-floor", "extra-MB", "", "base-MB", "HTTPS client + JSON build", "MB", math.NaN()},
}

// results holds each value read, by package, benchmark name (without its
// -GOMAXPROCS suffix) and unit, and the machine (goos, goarch, cpu).
type results struct {
	values map[string][]float64
	config map[string]string
}

func (rs *results) read(r io.Reader) error {
	br := benchfmt.NewReader(r, "stdin")
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue // a line go test printed that is not a result
		}
		base, parts := res.Name.Parts()
		if n := len(parts); n > 0 && parts[n-1][0] == '-' {
			parts = parts[:n-1]
		}
		pkg := strings.TrimPrefix(res.GetConfig("pkg"), "github.com/elmohq/telemetry/")
		name := path.Join(pkg, "Benchmark"+string(base)+string(slices.Concat(parts...)))
		rs.values[pkg] = nil // the package ran
		for _, v := range res.Values {
			if v.OrigUnit != "" { // benchfmt turns ns/op into sec/op: keep the unit printed
				v.Unit, v.Value = v.OrigUnit, v.OrigValue
			}
			rs.values[name+" "+v.Unit] = append(rs.values[name+" "+v.Unit], v.Value)
		}
		for _, k := range []string{"goos", "goarch", "cpu"} {
			rs.config[k] = cmp.Or(res.GetConfig(k), rs.config[k])
		}
	}
	return br.Err()
}

// median returns the median of a metric's values, and how many there are.
func (rs *results) median(pkg, bench, unit string) (float64, int) {
	s := slices.Sorted(slices.Values(rs.values[path.Join(pkg, bench)+" "+unit]))
	if len(s) == 0 {
		return 0, 0
	}
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2, len(s)
}

// row returns the cells of c's row, and whether c missed its target.
func (rs *results) row(c check) ([]string, bool) {
	v, n := rs.median(c.pkg, c.bench, c.unit)
	b, nb := rs.median(c.pkg, cmp.Or(c.base, c.bench), c.baseUnit)
	unit, sign, status := "x", "", "PASS"
	if c.base != "" {
		v -= b
	}
	if c.diff != "" {
		unit = " " + c.diff
		if v > 0 {
			sign = "+"
		}
	}
	target := fmt.Sprintf("<= %g%s", c.target, unit)
	if math.IsNaN(c.target) {
		target, status = "-", "info"
	}
	switch {
	case n == 0 || nb == 0:
		return []string{c.pkg + ": " + c.label, "-", "-", target, fmt.Sprintf("MISS (no %s %s or %s)", c.bench, c.unit, c.baseUnit)}, true
	case v > c.target:
		status = "MISS"
	}
	baseline := fmt.Sprintf("%s: %s %s", c.baseLabel, num(b), cmp.Or(c.diff, c.baseUnit))
	return []string{c.pkg + ": " + c.label, baseline, sign + num(v) + unit, target, status}, status == "MISS"
}

// num formats v with two decimals below 100, none above.
func num(v float64) string {
	if v == 0 || math.Abs(v) >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// run prints the table of the results read from r, and returns the exit
// code.
func run(r io.Reader, w io.Writer) (int, error) {
	rs := &results{values: map[string][]float64{}, config: map[string]string{}}
	if err := rs.read(r); err != nil {
		return 2, err
	}
	code, runs := 0, 0
	fmt.Fprintln(w, "| benchmark | baseline | ratio (or difference) | target | PASS/MISS |\n|---|---|---|---|---|")
	for _, c := range checks {
		if _, ran := rs.values[c.pkg]; !ran {
			continue
		}
		cells, missed := rs.row(c)
		if missed {
			code = 1
		}
		_, n := rs.median(c.pkg, c.bench, c.unit)
		runs = max(runs, n)
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	machine := strings.Trim(rs.config["goos"]+"/"+rs.config["goarch"]+", "+rs.config["cpu"], ", /")
	fmt.Fprintf(w, "\nMedians of %d runs with -benchmem on %s; each ratio's baseline ran in the same run. Produced by `scripts/bench`.\n", runs, machine)
	return code, nil
}

func main() {
	code, err := run(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchratio: %v\n", err)
	}
	os.Exit(code)
}
