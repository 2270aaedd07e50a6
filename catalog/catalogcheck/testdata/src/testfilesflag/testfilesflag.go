// Package testfilesflag is checked with -testfiles.
package testfilesflag
