//go:build unix

package main

import "golang.org/x/sys/unix"

// syncDisk writes what the kernel holds for the disk, so that a benchmark
// does not pay for the writes of the one before.
func syncDisk() { unix.Sync() }
