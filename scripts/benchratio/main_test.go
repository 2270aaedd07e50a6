package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// testdata/sample.txt is the output of
//
//	go test -run '^$' -bench '^BenchmarkSpanPipeline$' -benchmem -benchtime 100x -count 3 ./processors
//	go test -run '^$' -bench '^(BenchmarkSpan|BenchmarkRatios)$' -benchmem -benchtime 100x -count 3 ./otelsetup
//
// to which the test adds a line of BenchmarkExit, whose rows are differences.
func TestRun(t *testing.T) {
	sample, err := os.ReadFile("testdata/sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	in := string(sample) + "pkg: github.com/elmohq/telemetry/cmd/elmo\n" +
		"BenchmarkExit/server=answers-2 \t 20\t 28978297 ns/op\t 6.5 extra-ms\t 7.7 off-ms\t 14.2 on-ms\n"
	var out bytes.Buffer
	if code, err := run(strings.NewReader(in), &out); err != nil || code != 1 {
		t.Fatalf("run = %d, %v; want 1 (targets missed)", code, err)
	}
	for _, row := range []string{
		// The medians of 0.7051, 0.7881, 1.177 and of 2457, 3175, 3750.
		"| processors: span pipeline, filter keeping all attributes (b/a) | bare SDK: 3175 a-ns/span | 0.79x | <= 1.25x | PASS |",
		// The median of 1.200, 1.762, 1.318.
		"| otelsetup: span, telemetry on, events encoded in the background: caller's path (in turns) | bare SDK + encoder: 1359 base-ns/op | 1.32x | <= 1.3x | MISS |",
		"| otelsetup: span, telemetry off: extra allocations | no-op tracer: 2.00 allocs/op | 0 allocs/op | <= 0 allocs/op | PASS |",
		"| cmd/elmo: elmo version exit, server answers (in turns) | telemetry off: 7.70 ms | +6.50 ms | <= 5 ms | MISS |",
		"| cmd/elmo: elmo binary size over that floor | - | - | - | MISS (no BenchmarkStartup/size-over-floor extra-MB or base-MB) |",
		"\nMedians of 3 runs with -benchmem on linux/amd64, AMD EPYC;",
	} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("the table lacks\n%s\n%s", row, out.String())
		}
	}
	if strings.Contains(out.String(), "| exporter: ") {
		t.Errorf("the table has rows of a package that did not run:\n%s", out.String())
	}
	met := strings.ReplaceAll(string(sample), "1.762 on/sdk", "1.2 on/sdk")
	if code, err := run(strings.NewReader(met), &out); code != 0 || err != nil {
		t.Errorf("run with every target met = %d, %v; want 0", code, err)
	}
}
