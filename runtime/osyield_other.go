//go:build !linux

package runtime

import goruntime "runtime"

// osYield lets other goroutines run (sched_yield is Linux only).
func osYield() { goruntime.Gosched() }
