//go:build race

package clitest

// raceEnabled is whether the tests run with the race detector, and so
// build the programs under test with it.
const raceEnabled = true
