package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sample is `go test -bench` output of two packages and two runs, with
// the lines that are not results: headers, logs, PASS.
const sample = `goos: linux
goarch: amd64
pkg: github.com/elmohq/telemetry/processors
cpu: AMD EPYC
BenchmarkSpanPipeline/a=bare-2         	  568748	      2000 ns/op	    1472 B/op	       6 allocs/op
BenchmarkSpanPipeline/ratios-2   	    3595	         0 ns/op	      1000 a-ns/span	      1100 b-ns/span	         1.10 b/a	      1300 c-ns/span	         1.30 c/a
BenchmarkSpanPipeline/ratios-2   	    3595	         0 ns/op	      1200 a-ns/span	      1100 b-ns/span	         1.40 b/a	      1300 c-ns/span	         1.20 c/a
BenchmarkSpanPipeline/ratios-2   	    3595	         0 ns/op	      1100 a-ns/span	      1100 b-ns/span	         1.20 b/a	      1300 c-ns/span	         1.60 c/a
    bench_test.go:12: a log line of a benchmark
PASS
ok  	github.com/elmohq/telemetry/processors	5.018s
pkg: github.com/elmohq/telemetry/otelsetup
BenchmarkSpan/noop-2 	16949966	        80 ns/op	      64 B/op	       2 allocs/op
BenchmarkSpan/noop-2 	16949966	        90 ns/op	      64 B/op	       2 allocs/op
BenchmarkSpan/off-2  	12066405	        95 ns/op	      64 B/op	       3 allocs/op
BenchmarkSpan/off-2  	12066405	        93 ns/op	      64 B/op	       3 allocs/op
BenchmarkSpan/on/posthog-8         	  231342	      5554 ns/op	    3449 B/op	      20 allocs/op
BenchmarkCounter/sdk
BenchmarkCounter/sdk-2             	 4642552	       200 ns/op	      16 B/op	       1 allocs/op
BenchmarkRatios/span-off-2         	 6499910	       105.9 base-ns/op	         1.05 off/noop	       105.3 ours-ns/op
BenchmarkRatios/span-off-2         	 6499910	       105.9 base-ns/op	         1.15 off/noop	       105.3 ours-ns/op
BenchmarkRatios/span-off-2         	 6499910	       105.9 base-ns/op	         1.13 off/noop	       105.3 ours-ns/op
BenchmarkRatios/counter-on/posthog-2       	 1746706	       225.1 base-ns/op	         0.9 on/sdk	       365.2 ours-ns/op
BenchmarkEventBudget/healthy-2         	       1	 250000000 ns/op	       300.0 budget-events/day	       236.0 events/day
BenchmarkEventBudget/failing=google-2  	       1	 250000000 ns/op	       300.0 budget-events/day	       400.0 events/day
pkg: github.com/elmohq/telemetry/cmd/elmo
BenchmarkExit/server=answers-2         	      20	  28978297 ns/op	         4.5 extra-ms	         7.7 off-ms	        12.2 on-ms
BenchmarkExit/server=hangs-2           	      20	 293061725 ns/op	       274.7 extra-ms	         7.3 off-ms	       282.1 on-ms
BenchmarkExit/server=refuses-2         	      20	  15178868 ns/op	         2.9 extra-ms	         5.4 off-ms	         8.3 on-ms
BenchmarkExit/server=503-2             	      20	 293061725 ns/op	       270.0 extra-ms	         7.3 off-ms	       277.3 on-ms
BenchmarkExit/server=413-2             	      20	  15178868 ns/op	         2.0 extra-ms	         5.4 off-ms	         7.4 on-ms
BenchmarkExit/server=answers,capture=v1-2 	      20	  28978297 ns/op	         6.5 extra-ms	         7.7 off-ms	        14.2 on-ms
`

func parsed(t *testing.T) results {
	t.Helper()
	res := results{}
	var e env
	if err := parse(strings.NewReader(sample), res, &e); err != nil {
		t.Fatal(err)
	}
	if e.goos != "linux" || e.goarch != "amd64" || e.cpu != "AMD EPYC" {
		t.Errorf("env = %+v", e)
	}
	return res
}

func TestParse(t *testing.T) {
	res := parsed(t)
	tests := []struct {
		pkg, bench, unit string
		want             []float64
	}{
		{"processors", "BenchmarkSpanPipeline/ratios", "b/a", []float64{1.1, 1.4, 1.2}},
		{"processors", "BenchmarkSpanPipeline/a=bare", "allocs/op", []float64{6}},
		{"otelsetup", "BenchmarkSpan/noop", "ns/op", []float64{80, 90}},
		{"otelsetup", "BenchmarkSpan/on/posthog", "ns/op", []float64{5554}}, // -8 suffix removed
		{"otelsetup", "BenchmarkCounter/sdk", "ns/op", []float64{200}},      // the bare name line is not a result
		{"cmd/elmo", "BenchmarkExit/server=hangs", "extra-ms", []float64{274.7}},
	}
	for _, tt := range tests {
		got := res[module+tt.pkg][tt.bench][tt.unit]
		if len(got) != len(tt.want) {
			t.Errorf("%s %s %s = %v, want %v", tt.pkg, tt.bench, tt.unit, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s %s %s = %v, want %v", tt.pkg, tt.bench, tt.unit, got, tt.want)
			}
		}
	}
	if err := parse(strings.NewReader("BenchmarkX-2 10 abc ns/op\n"), results{}, &env{}); err == nil {
		t.Error("a value that is not a number was accepted")
	}
}

func TestMedian(t *testing.T) {
	res := results{}
	for _, v := range []float64{5, 1, 3} {
		res.add("p", "odd", "u", v)
	}
	for _, v := range []float64{4, 1, 3, 10} {
		res.add("p", "even", "u", v)
	}
	if m, _ := res.median("p", "odd", "u"); m != 3 {
		t.Errorf("median of 5 1 3 = %v, want 3", m)
	}
	if m, _ := res.median("p", "even", "u"); m != 3.5 {
		t.Errorf("median of 4 1 3 10 = %v, want 3.5", m)
	}
	if _, ok := res.median("p", "none", "u"); ok {
		t.Error("median of nothing reported a value")
	}
}

func TestEvaluate(t *testing.T) {
	rows := evaluate(parsed(t), nil)
	want := map[string]struct{ value, status string }{
		// The medians of the benchmark's own ratios: 1.2 and 1.3.
		"processors: span pipeline, filter keeping all attributes (b/a)": {"1.20x", "PASS"},
		"processors: span pipeline, filter dropping half (c/a)":          {"1.30x", "PASS"},
		// No exporter results at all.
		"exporter: delivery to the last ack, legacy: time per event (throughput >= 1.0x)": {"-", "MISS (no results)"},
		"exporter: delivery to the last ack, legacy: CPU per event":                       {"-", "MISS (no results)"},
		"exporter: delivery to the last ack, v1: time per event (throughput >= 1.0x)":     {"-", "MISS (no results)"},
		"exporter: delivery to the last ack, v1: CPU per event":                           {"-", "MISS (no results)"},
		// The median of 1.05, 1.15, 1.13.
		"otelsetup: span, telemetry off (in turns)":                                                 {"1.13x", "MISS"},
		"otelsetup: span, telemetry off: extra allocations":                                         {"+1.00 allocs/op", "MISS"},
		"otelsetup: span, telemetry on, events encoded in the background: caller's path (in turns)": {"-", "MISS (no BenchmarkRatios/span-on base-ns/op)"},
		"otelsetup: span delivered to the last ack, none dropped: time (throughput >= 1.0x)":        {"-", "MISS (no BenchmarkRatios/span-delivered base-ns/span)"},
		"otelsetup: span delivered to the last ack, none dropped: CPU":                              {"-", "MISS (no BenchmarkRatios/span-delivered base-cpu-ns/span)"},
		"otelsetup: counter add, PostHog route (in turns)":                                          {"0.90x", "PASS"},
		"otelsetup: counter add, OTLP route (in turns)":                                             {"-", "MISS (no BenchmarkRatios/counter-on/otlp base-ns/op)"},
		"otelsetup: counter add, console route (in turns)":                                          {"-", "MISS (no BenchmarkRatios/counter-on/console base-ns/op)"},
		"budget: deployment events per simulated day, reference workload":                           {"236.0 events", "PASS"},
		"budget: deployment events per simulated day, a provider always failing":                    {"400.0 events", "MISS"},
		"cli: elmo version exit, server answers (in turns)":                                         {"+4.50 ms", "PASS"},
		"cli: elmo version exit, server refuses (in turns)":                                         {"+2.90 ms", "PASS"},
		"cli: elmo version exit, server hangs (in turns)":                                           {"+274.7 ms", "PASS"},
		"cli: elmo version exit, server answers 503 (in turns)":                                     {"+270.0 ms", "PASS"},
		"cli: elmo version exit, server answers 413 (in turns)":                                     {"+2.00 ms", "PASS"},
		"cli: elmo version exit, server answers, v1 capture (in turns)":                             {"+6.50 ms", "MISS"},
		"cli: elmo version exit, server refuses, v1 capture (in turns)":                             {"-", "MISS (no BenchmarkExit/server=refuses,capture=v1 off-ms)"},
		"cli: elmo version exit, server hangs, v1 capture (in turns)":                               {"-", "MISS (no BenchmarkExit/server=hangs,capture=v1 off-ms)"},
		"cli: elmo version exit, server answers 503, v1 capture (in turns)":                         {"-", "MISS (no BenchmarkExit/server=503,capture=v1 off-ms)"},
		"cli: elmo version exit, server answers 413, v1 capture (in turns)":                         {"-", "MISS (no BenchmarkExit/server=413,capture=v1 off-ms)"},
		"cli: elmo version start-up, telemetry off":                                                 {"-", "MISS (no BenchmarkStartup/telemetry=off base-ms)"},
		"cli: elmo binary size": {"-", "MISS (no BenchmarkStartup/size base-MB)"},
		"cli: binary size of an HTTPS client posting JSON, nothing else (the floor of in-process delivery)": {"-", "MISS (no BenchmarkStartup/size-floor base-MB)"},
		"cli: elmo binary size over that floor": {"-", "MISS (no BenchmarkStartup/size-over-floor base-MB)"},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for _, r := range rows {
		w, ok := want[r.label]
		if !ok {
			t.Errorf("unexpected row %q", r.label)
			continue
		}
		if r.value != w.value || r.status != w.status {
			t.Errorf("%s: %s %s, want %s %s", r.label, r.value, r.status, w.value, w.status)
		}
		if r.failed != strings.HasPrefix(r.status, "MISS") {
			t.Errorf("%s: failed = %v with status %s", r.label, r.failed, r.status)
		}
	}
}

func TestEvaluateSubset(t *testing.T) {
	rows := evaluate(parsed(t), map[string]bool{"budget": true})
	if len(rows) != 2 {
		t.Fatalf("rows = %+v, want only the 2 budget rows", rows)
	}
	for _, r := range rows {
		if !strings.HasPrefix(r.label, "budget: ") || !strings.HasPrefix(r.baseline, "budget") {
			t.Errorf("row %+v, want a budget row against its budget", r)
		}
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	in := write("bench.txt", sample)
	md := filepath.Join(dir, "bench.md")

	var out bytes.Buffer
	code, err := run([]string{"-only", "processors", "-count", "3", "-md", md, in}, &out)
	if err != nil || code != 0 {
		t.Fatalf("run = %d, %v; want 0\n%s", code, err, out.String())
	}
	if !strings.HasPrefix(out.String(), "benchmark ") || !strings.Contains(out.String(), "1.20x") {
		t.Errorf("text table:\n%s", out.String())
	}
	data, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"| benchmark | baseline | ratio (or difference) | target | PASS/MISS |",
		"| processors: span pipeline, filter keeping all attributes (b/a) | bare SDK: 1100 a-ns/span | 1.20x | <= 1.25x | PASS |",
		"Medians of 3 runs with -benchmem on linux/amd64, AMD EPYC",
	} {
		if !strings.Contains(string(data), s) {
			t.Errorf("the Markdown lacks %q:\n%s", s, data)
		}
	}

	if code, _ := run([]string{in}, &out); code != 1 {
		t.Errorf("run with missed targets = %d, want 1", code)
	}
	if code, err := run([]string{"-only", "nope", in}, &out); code != 2 || err == nil {
		t.Errorf("run with an unknown suite = %d, %v; want 2 and an error", code, err)
	}
	if code, err := run(nil, &out); code != 2 || err == nil {
		t.Errorf("run without files = %d, %v; want 2 and an error", code, err)
	}
}
