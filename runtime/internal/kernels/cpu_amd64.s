//go:build amd64 && !purego

#include "textflag.h"

// The spin-wait hint. Its stub is in kernels_amd64.go; CPU features come
// from golang.org/x/sys/cpu.

// func SpinPause()
TEXT ·SpinPause(SB), NOSPLIT, $0-0
	PAUSE
	RET
