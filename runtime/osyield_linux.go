package runtime

import "syscall"

// osYield gives the processor to another thread (sched_yield), so that a
// spinning goroutine does not starve the threads it waits for when the
// machine has more busy threads than cores.
func osYield() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
