//go:build unix && !linux

package detach_test

// listFDs finds nothing: only Linux lists a process's descriptors in /proc.
func listFDs() map[string]string { return nil }
