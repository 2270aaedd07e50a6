//go:build !unix

package detach_test

import "testing"

// systemStartErrors returns no cases beyond the portable ones.
func systemStartErrors(*testing.T) []startError { return nil }

// reapReleased does nothing: only on Unix does a released child stay the
// parent's to reap.
func reapReleased(*testing.T, int) {}
