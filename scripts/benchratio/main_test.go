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
BenchmarkRatios/counter-on-2       	 1746706	       225.1 base-ns/op	         0.9 on/sdk	       365.2 ours-ns/op
pkg: github.com/elmohq/telemetry/cmd/elmo
BenchmarkExit/telemetry=off-2         	      10	  20000000 ns/op
BenchmarkExit/telemetry=on,server=hangs-2 	      10	 330000000 ns/op
BenchmarkExit/telemetry=on,server=refuses-2 	      10	 320000000 ns/op
BenchmarkExit/telemetry=on,server=503-2 	      10	 320000000 ns/op
BenchmarkExit/telemetry=on,server=413-2 	      10	 320000000 ns/op
BenchmarkExit/telemetry=on,server=hangs,capture=v1-2 	      10	 320000000 ns/op
BenchmarkExit/telemetry=on,server=refuses,capture=v1-2 	      10	 320000000 ns/op
BenchmarkExit/telemetry=on,server=503,capture=v1-2 	      10	 320000000 ns/op
BenchmarkExit/telemetry=on,server=413,capture=v1-2 	      10	 320000000 ns/op
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
		{"cmd/elmo", "BenchmarkExit/telemetry=on,server=hangs", "ns/op", []float64{330000000}},
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
		"processors: span pipeline, filter keeping all attributes (b/a)": {"1.20x", "ok"},
		"processors: span pipeline, filter dropping half (c/a)":          {"1.30x", "ok"},
		// No exporter results at all.
		"exporter: delivery to PostHog, ns/event (throughput >= 0.8x)":             {"-", "MISS (no results)"},
		"exporter: delivery to PostHog, v1 capture, ns/event (throughput >= 1.0x)": {"-", "MISS (no results)"},
		// The median of 1.05, 1.15, 1.13.
		"otelsetup: span, telemetry off (in turns)":              {"1.13x", "MISS"},
		"otelsetup: span, telemetry off: extra allocations":      {"+1.00 allocs/op", "MISS"},
		"otelsetup: span, telemetry on (in turns)":               {"-", "MISS (no BenchmarkRatios/span-on base-ns/op)"},
		"otelsetup: span, telemetry on, PostHog export":          {"-", "MISS (no BenchmarkSpan/sdk ns/op)"},
		"otelsetup: counter add, telemetry on (in turns)":        {"0.90x", "ok"},
		"cli: elmo version exit, server hangs":                   {"+310.0 ms", "ok"},
		"cli: elmo version exit, server refuses":                 {"+300.0 ms", "ok"},
		"cli: elmo version exit, server answers 503":             {"+300.0 ms", "ok"},
		"cli: elmo version exit, server answers 413":             {"+300.0 ms", "ok"},
		"cli: elmo version exit, server hangs, v1 capture":       {"+300.0 ms", "ok"},
		"cli: elmo version exit, server refuses, v1 capture":     {"+300.0 ms", "ok"},
		"cli: elmo version exit, server answers 503, v1 capture": {"+300.0 ms", "ok"},
		"cli: elmo version exit, server answers 413, v1 capture": {"+300.0 ms", "ok"},
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
	rows := evaluate(parsed(t), map[string]bool{"cli": true})
	if len(rows) != 8 {
		t.Fatalf("rows = %+v, want only the 8 cli rows", rows)
	}
	for _, r := range rows {
		if r.status != "ok" || r.baseline != "telemetry off: 20.0 ms" {
			t.Errorf("row %+v, want ok against telemetry off", r)
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
	code, err := run([]string{"-only", "processors,cli", "-count", "3", "-md", md, in}, &out)
	if err != nil || code != 0 {
		t.Fatalf("run = %d, %v; want 0\n%s", code, err, out.String())
	}
	if !strings.HasPrefix(out.String(), "benchmark ") || !strings.Contains(out.String(), "+310.0 ms") {
		t.Errorf("text table:\n%s", out.String())
	}
	data, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"| benchmark | baseline | ratio (or difference) | target | ok/MISS |",
		"| cli: elmo version exit, server hangs | telemetry off: 20.0 ms | +310.0 ms | <= 400 ms | ok |",
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
