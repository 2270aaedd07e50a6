// Package testfiles has a test file that sends what the catalog drops on
// purpose: it is not reported without -testfiles.
package testfiles
