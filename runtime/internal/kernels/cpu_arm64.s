//go:build arm64 && !purego

#include "textflag.h"

// The spin-wait hint. Its stub is in kernels_arm64.go.

// func SpinPause()
TEXT ·SpinPause(SB), NOSPLIT, $0-0
	YIELD
	RET
