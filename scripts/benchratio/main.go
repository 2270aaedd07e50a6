// Command benchratio reads the output of `go test -bench` for the
// pipeline benchmarks, takes the median of each measurement over the
// runs (-count), compares each one with its baseline from the same run,
// and prints a table of ratios against their targets. It exits 1 when a
// target is missed. scripts/bench runs the benchmarks and calls it.
//
//	benchratio [-md FILE] [-only processors,exporter,otelsetup,budget,cli] OUTPUT...
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results holds every value measured, by benchmark and unit:
// results["github.com/elmohq/telemetry/processors"]["BenchmarkSpanPipeline/ratios"]["b/a"].
type results map[string]map[string]map[string][]float64

// env describes the machine, from the header of the benchmark output.
type env struct {
	goos, goarch, cpu string
}

// procSuffix is the -GOMAXPROCS suffix of benchmark names.
var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads `go test -bench` output. It accepts the output of several
// packages and several runs, in any order.
func parse(r io.Reader, res results, e *env) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	pkg := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg: "))
			continue
		case strings.HasPrefix(line, "goos: "):
			e.goos = strings.TrimSpace(strings.TrimPrefix(line, "goos: "))
			continue
		case strings.HasPrefix(line, "goarch: "):
			e.goarch = strings.TrimSpace(strings.TrimPrefix(line, "goarch: "))
			continue
		case strings.HasPrefix(line, "cpu: "):
			e.cpu = strings.TrimSpace(strings.TrimPrefix(line, "cpu: "))
			continue
		case !strings.HasPrefix(line, "Benchmark"):
			continue
		}
		fields := strings.Fields(line)
		// name, iterations, then value-unit pairs.
		if len(fields) < 4 || len(fields)%2 != 0 {
			continue // a benchmark's log line, or its name before it ran
		}
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(fields[0], "")
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return fmt.Errorf("benchmark %s: value %q of %s is not a number", name, fields[i], fields[i+1])
			}
			res.add(pkg, name, fields[i+1], v)
		}
	}
	return sc.Err()
}

func (res results) add(pkg, name, unit string, v float64) {
	if res[pkg] == nil {
		res[pkg] = map[string]map[string][]float64{}
	}
	if res[pkg][name] == nil {
		res[pkg][name] = map[string][]float64{}
	}
	res[pkg][name][unit] = append(res[pkg][name][unit], v)
}

// median returns the median of the values of a benchmark's unit, and
// whether there were any.
func (res results) median(pkg, name, unit string) (float64, bool) {
	vs := res[pkg][name][unit]
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// ran reports whether any benchmark of pkg is in res.
func (res results) ran(pkg string) bool { return len(res[pkg]) > 0 }

// How a check compares its measurement with its baseline.
type mode int

const (
	// ratio divides the median of the measurement by the median of the
	// baseline, both in unit.
	ratio mode = iota
	// metric takes the median of a ratio the benchmark reported itself
	// (b.ReportMetric), in unit; the baseline is shown from baseUnit.
	metric
	// diff subtracts the median of the baseline from the median of the
	// measurement, both in unit, and divides by scale.
	diff
	// metricDiff takes the median of a difference the benchmark reported
	// itself, in unit (shown in diffUnit); the baseline is shown from
	// baseUnit of the same benchmark.
	metricDiff
	// value takes the median of a quantity the benchmark reported, in
	// unit (shown in diffUnit), against a fixed target; baseLbl says what
	// the target stands for.
	value
)

// check is one row of the table.
type check struct {
	group   string // the benchmark suite: "processors", "exporter", "otelsetup", "budget" or "cli"
	pkg     string // the package's import path
	label   string // what is measured
	mode    mode
	bench   string // the measured benchmark
	base    string // the baseline benchmark
	unit    string // the unit compared
	baseLbl string // how the baseline is described
	// baseUnit is the unit the baseline is shown in; for metric checks
	// it is a metric of bench itself.
	baseUnit string
	scale    float64 // diff: divisor of the difference
	diffUnit string  // diff: unit of the difference after scaling
	target   float64 // the largest acceptable ratio or difference
	info     bool    // shown, never failed
}

const module = "github.com/elmohq/telemetry/"

// checks are the targets, those of the earlier issues and of the cost
// and speed issue: the event budget, the CLI's exit, start-up, the cost
// per event and the counter's Add on every route.
var checks = []check{
	{group: "processors", pkg: module + "processors", label: "span pipeline, filter keeping all attributes (b/a)",
		mode: metric, bench: "BenchmarkSpanPipeline/ratios", unit: "b/a", baseLbl: "bare SDK", baseUnit: "a-ns/span", target: 1.25},
	{group: "processors", pkg: module + "processors", label: "span pipeline, filter dropping half (c/a)",
		mode: metric, bench: "BenchmarkSpanPipeline/ratios", unit: "c/a", baseLbl: "bare SDK", baseUnit: "a-ns/span", target: 1.5},
	{group: "exporter", pkg: module + "exporter", label: "delivery to the last ack, legacy: time per event (throughput >= 1.0x)",
		mode: metric, bench: "BenchmarkDelivery/legacy", unit: "time-ratio", baseLbl: "posthog-go direct", baseUnit: "base-ns/event", target: 1.0},
	{group: "exporter", pkg: module + "exporter", label: "delivery to the last ack, legacy: CPU per event",
		mode: metric, bench: "BenchmarkDelivery/legacy", unit: "cpu-ratio", baseLbl: "posthog-go direct", baseUnit: "base-cpu-ns/event", target: 1.25},
	{group: "exporter", pkg: module + "exporter", label: "delivery to the last ack, v1: time per event (throughput >= 1.0x)",
		mode: metric, bench: "BenchmarkDelivery/v1", unit: "time-ratio", baseLbl: "posthog-go direct, v1", baseUnit: "base-ns/event", target: 1.0},
	{group: "exporter", pkg: module + "exporter", label: "delivery to the last ack, v1: CPU per event",
		mode: metric, bench: "BenchmarkDelivery/v1", unit: "cpu-ratio", baseLbl: "posthog-go direct, v1", baseUnit: "base-cpu-ns/event", target: 1.25},
	{group: "otelsetup", pkg: module + "otelsetup", label: "span, telemetry off (in turns)",
		mode: metric, bench: "BenchmarkRatios/span-off", unit: "off/noop", baseLbl: "no-op tracer", baseUnit: "base-ns/op", target: 1.1},
	{group: "otelsetup", pkg: module + "otelsetup", label: "span, telemetry off: extra allocations",
		mode: diff, bench: "BenchmarkSpan/off", base: "BenchmarkSpan/noop", unit: "allocs/op",
		baseLbl: "no-op tracer", baseUnit: "allocs/op", scale: 1, diffUnit: "allocs/op", target: 0},
	{group: "otelsetup", pkg: module + "otelsetup", label: "span, telemetry on, events encoded in the background: caller's path (in turns)",
		mode: metric, bench: "BenchmarkRatios/span-on", unit: "on/sdk", baseLbl: "bare SDK + encoder", baseUnit: "base-ns/op", target: 1.3},
	{group: "otelsetup", pkg: module + "otelsetup", label: "span delivered to the last ack, none dropped: time (throughput >= 1.0x)",
		mode: metric, bench: "BenchmarkRatios/span-delivered", unit: "time-ratio", baseLbl: "bare SDK + posthog-go", baseUnit: "base-ns/span", target: 1.0},
	{group: "otelsetup", pkg: module + "otelsetup", label: "span delivered to the last ack, none dropped: CPU",
		mode: metric, bench: "BenchmarkRatios/span-delivered", unit: "cpu-ratio", baseLbl: "bare SDK + posthog-go", baseUnit: "base-cpu-ns/span", target: 1.25},
	{group: "otelsetup", pkg: module + "otelsetup", label: "counter add, PostHog route (in turns)",
		mode: metric, bench: "BenchmarkRatios/counter-on/posthog", unit: "on/sdk", baseLbl: "bare SDK", baseUnit: "base-ns/op", target: 1.25},
	{group: "otelsetup", pkg: module + "otelsetup", label: "counter add, OTLP route (in turns)",
		mode: metric, bench: "BenchmarkRatios/counter-on/otlp", unit: "on/sdk", baseLbl: "bare SDK", baseUnit: "base-ns/op", target: 1.25},
	{group: "otelsetup", pkg: module + "otelsetup", label: "counter add, console route (in turns)",
		mode: metric, bench: "BenchmarkRatios/counter-on/console", unit: "on/sdk", baseLbl: "bare SDK", baseUnit: "base-ns/op", target: 1.25},
	{group: "budget", pkg: module + "otelsetup", label: "deployment events per simulated day, reference workload",
		mode: value, bench: "BenchmarkEventBudget/healthy", unit: "events/day", baseLbl: "budget", diffUnit: "events", target: 300},
	{group: "budget", pkg: module + "otelsetup", label: "deployment events per simulated day, a provider always failing",
		mode: value, bench: "BenchmarkEventBudget/failing=google", unit: "events/day", baseLbl: "budget + 3 sets an hour", diffUnit: "events", target: 372},
}

// exitChecks are the rows of BenchmarkExit: what `elmo version` costs at
// exit with telemetry on, for each kind of server and capture API.
func exitChecks() []check {
	var out []check
	for _, api := range []string{"", ",capture=v1"} {
		for _, srv := range []struct {
			name, label string
			target      float64
		}{
			{"answers", "server answers", 5},
			{"refuses", "server refuses", 5},
			{"hangs", "server hangs", 300},
			{"503", "server answers 503", 300},
			{"413", "server answers 413", 300},
		} {
			label := "elmo version exit, " + srv.label
			if api != "" {
				label += ", v1 capture"
			}
			out = append(out, check{group: "cli", pkg: module + "cmd/elmo", label: label + " (in turns)",
				mode: metricDiff, bench: "BenchmarkExit/server=" + srv.name + api, unit: "extra-ms",
				baseLbl: "telemetry off", baseUnit: "off-ms", diffUnit: "ms", target: srv.target})
		}
	}
	return out
}

// startupChecks are the start-up targets: telemetry off against a build
// with no telemetry at all (BenchmarkStartup, on the programs of
// internal/testkit/startupprobe).
var startupChecks = []check{
	{group: "cli", pkg: module + "cmd/elmo", label: "elmo version start-up, telemetry off",
		mode: metricDiff, bench: "BenchmarkStartup/telemetry=off", unit: "extra-ms",
		baseLbl: "no-telemetry build", baseUnit: "base-ms", diffUnit: "ms", target: 2},
	{group: "cli", pkg: module + "cmd/elmo", label: "elmo binary size",
		mode: metricDiff, bench: "BenchmarkStartup/size", unit: "extra-MB",
		baseLbl: "no-telemetry build", baseUnit: "base-MB", diffUnit: "MB", target: 3},
	{group: "cli", pkg: module + "cmd/elmo", label: "binary size of an HTTPS client posting JSON, nothing else (the floor of in-process delivery)",
		mode: metricDiff, bench: "BenchmarkStartup/size-floor", unit: "extra-MB",
		baseLbl: "no-telemetry build", baseUnit: "base-MB", diffUnit: "MB", info: true},
	{group: "cli", pkg: module + "cmd/elmo", label: "elmo binary size over that floor",
		mode: metricDiff, bench: "BenchmarkStartup/size-over-floor", unit: "extra-MB",
		baseLbl: "HTTPS client + JSON build", baseUnit: "base-MB", diffUnit: "MB", info: true},
}

func init() { checks = append(append(checks, exitChecks()...), startupChecks...) }

// row is one evaluated check.
type row struct {
	label, baseline, value, target, status string
	failed                                 bool
}

// evaluate computes the rows of the checks whose group is selected and
// whose package ran.
func evaluate(res results, groups map[string]bool) []row {
	var rows []row
	for _, c := range checks {
		if groups != nil && !groups[c.group] {
			continue
		}
		if !res.ran(c.pkg) {
			rows = append(rows, row{label: c.group + ": " + c.label, baseline: "-", value: "-",
				target: c.targetString(), status: "MISS (no results)", failed: true})
			continue
		}
		rows = append(rows, c.evaluate(res))
	}
	return rows
}

func (c check) targetString() string {
	switch {
	case c.info:
		return "-"
	case c.mode == diff || c.mode == metricDiff || c.mode == value:
		return fmt.Sprintf("<= %g %s", c.target, c.diffUnit)
	default:
		return fmt.Sprintf("<= %gx", c.target)
	}
}

func (c check) evaluate(res results) row {
	r := row{label: c.group + ": " + c.label, target: c.targetString()}
	missing := func(what string) row {
		r.baseline, r.value, r.status, r.failed = "-", "-", "MISS (no "+what+")", true
		return r
	}
	baseBench := c.base
	if c.mode == metric || c.mode == metricDiff {
		baseBench = c.bench
	}
	var v float64
	if c.mode == value {
		if v, ok := res.median(c.pkg, c.bench, c.unit); ok {
			r.baseline = fmt.Sprintf("%s: %s %s", c.baseLbl, num(c.target), c.diffUnit)
			r.value = num(v) + " " + c.diffUnit
			return c.judge(r, v)
		}
		return missing(c.bench + " " + c.unit)
	}
	base, ok := res.median(c.pkg, baseBench, c.baseUnit)
	if !ok {
		return missing(baseBench + " " + c.baseUnit)
	}
	r.baseline = fmt.Sprintf("%s: %s %s", c.baseLbl, num(base), c.baseUnit)
	if c.mode == diff {
		r.baseline = fmt.Sprintf("%s: %s %s", c.baseLbl, num(base/c.scale), c.diffUnit)
	}
	if c.mode == metricDiff {
		r.baseline = fmt.Sprintf("%s: %s %s", c.baseLbl, num(base), c.diffUnit)
	}
	switch c.mode {
	case metricDiff:
		if v, ok = res.median(c.pkg, c.bench, c.unit); !ok {
			return missing(c.bench + " " + c.unit)
		}
		r.value = signed(v) + " " + c.diffUnit
	case metric:
		if v, ok = res.median(c.pkg, c.bench, c.unit); !ok {
			return missing(c.bench + " " + c.unit)
		}
		r.value = num(v) + "x"
	case ratio:
		m, ok := res.median(c.pkg, c.bench, c.unit)
		if !ok {
			return missing(c.bench + " " + c.unit)
		}
		b, _ := res.median(c.pkg, c.base, c.unit)
		if b == 0 {
			return missing("non-zero baseline")
		}
		v = m / b
		r.value = num(v) + "x"
	case diff:
		m, ok := res.median(c.pkg, c.bench, c.unit)
		if !ok {
			return missing(c.bench + " " + c.unit)
		}
		b, ok := res.median(c.pkg, c.base, c.unit)
		if !ok {
			return missing(c.base + " " + c.unit)
		}
		v = (m - b) / c.scale
		r.value = signed(v) + " " + c.diffUnit
	}
	return c.judge(r, v)
}

// judge sets r's status from v against the target.
func (c check) judge(r row, v float64) row {
	switch {
	case c.info:
		r.status = "info"
	case v <= c.target:
		r.status = "PASS"
	default:
		r.status, r.failed = "MISS", true
	}
	return r
}

// signed formats a difference with its sign.
func signed(v float64) string {
	if v > 0 {
		return "+" + num(v)
	}
	return num(v)
}

// num formats a number with at most three significant decimals.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1000 || v <= -1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10 || v <= -10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

var header = []string{"benchmark", "baseline", "ratio (or difference)", "target", "PASS/MISS"}

func (r row) cells() []string { return []string{r.label, r.baseline, r.value, r.target, r.status} }

// writeText writes the rows as an aligned text table.
func writeText(w io.Writer, rows []row) error {
	width := make([]int, len(header))
	all := [][]string{header}
	for _, r := range rows {
		all = append(all, r.cells())
	}
	for _, cells := range all {
		for i, c := range cells {
			width[i] = max(width[i], len(c))
		}
	}
	for _, cells := range all {
		var b strings.Builder
		for i, c := range cells {
			if i == len(cells)-1 {
				b.WriteString(c)
				break
			}
			fmt.Fprintf(&b, "%-*s  ", width[i], c)
		}
		if _, err := fmt.Fprintln(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// writeMarkdown writes the rows as a Markdown table, with a line saying
// where and how they were measured.
func writeMarkdown(w io.Writer, rows []row, e env, count string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for _, r := range rows {
		cells := r.cells()
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	machine := strings.Trim(strings.Join([]string{e.goos + "/" + e.goarch, e.cpu}, ", "), ", /")
	fmt.Fprintf(&b, "\nMedians of %s runs with -benchmem on %s; each ratio's baseline ran in the same run. Produced by `scripts/bench`.\n",
		count, machine)
	_, err := io.WriteString(w, b.String())
	return err
}

func main() {
	code, err := run(os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchratio: %v\n", err)
	}
	os.Exit(code)
}

// run parses the flags and files, prints the table and returns the exit
// code: 0 when every target is met, 1 when one is missed, 2 on an error.
func run(args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("benchratio", flag.ContinueOnError)
	md := fs.String("md", "", "also write the table as Markdown to this file")
	only := fs.String("only", "", "comma-separated suites to check: processors, exporter, otelsetup, budget, cli (default all)")
	count := fs.String("count", "?", "the -count the benchmarks ran with, for the Markdown note")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() == 0 {
		return 2, errors.New("no benchmark output files given")
	}
	var groups map[string]bool
	if *only != "" {
		groups = map[string]bool{}
		known := map[string]bool{}
		for _, c := range checks {
			known[c.group] = true
		}
		for _, g := range strings.Split(*only, ",") {
			g = strings.TrimSpace(g)
			if !known[g] {
				return 2, fmt.Errorf("unknown suite %q in -only (want processors, exporter, otelsetup, budget or cli)", g)
			}
			groups[g] = true
		}
	}

	res := results{}
	var e env
	for _, path := range fs.Args() {
		f, err := os.Open(path)
		if err != nil {
			return 2, err
		}
		err = parse(f, res, &e)
		f.Close()
		if err != nil {
			return 2, fmt.Errorf("%s: %w", path, err)
		}
	}
	rows := evaluate(res, groups)
	if err := writeText(stdout, rows); err != nil {
		return 2, err
	}
	if *md != "" {
		f, err := os.Create(*md)
		if err != nil {
			return 2, err
		}
		err = writeMarkdown(f, rows, e, *count)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 2, err
		}
	}
	for _, r := range rows {
		if r.failed {
			return 1, nil
		}
	}
	return 0, nil
}
