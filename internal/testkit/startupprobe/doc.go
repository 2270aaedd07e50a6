// Package startupprobe holds small programs that differ only in
// telemetry, for measuring what telemetry costs a command that runs with
// it off: bare is `elmo version` with no telemetry linked at all, and off
// is the same with the pipeline started and shut down as the CLI does.
// cmd/elmo's BenchmarkStartup builds both and compares their start-up
// time and binary size. A third, floor, is bare with only an HTTPS client
// posting JSON linked: the least any in-process delivery of telemetry
// adds to a binary, against which the benchmark also reports the size of
// off.
package startupprobe

// Version is what both programs print.
const Version = "elmo dev"
