//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// NEON row updates. Stub in kernels_arm64.go.

// func Axpy8x2(n int, y, a *float64, offs *int64, coef *float64)
//
// y[j] += Σ_{t<8} coef[t]·a[offs[t]/8 + j] for j < n, n a multiple of 4
// (offs in bytes): the contract of the AVX2 Axpy8x2 (axpy_amd64.s), with
// its order of operations (two chains, rows 0, 2, 4, 6 and y, 1, 3, 5, 7,
// summed at the end). coef[t] is lane t%2 of V(16 + t/2).
TEXT ·Axpy8x2(SB), NOSPLIT, $0-40
	MOVD n+0(FP), R0
	MOVD y+8(FP), R1
	MOVD a+16(FP), R2
	MOVD offs+24(FP), R3
	MOVD coef+32(FP), R4
	MOVD (R3), R5
	MOVD 8(R3), R6
	MOVD 16(R3), R7
	MOVD 24(R3), R8
	MOVD 32(R3), R9
	MOVD 40(R3), R10
	MOVD 48(R3), R11
	MOVD 56(R3), R12
	ADD  R2, R5
	ADD  R2, R6
	ADD  R2, R7
	ADD  R2, R8
	ADD  R2, R9
	ADD  R2, R10
	ADD  R2, R11
	ADD  R2, R12
	VLD1 (R4), [V16.D2, V17.D2, V18.D2, V19.D2]

ax8_loop:
	CMP    $4, R0
	BLT    ax8_end
	VLD1   (R1), [V0.D2, V1.D2]
	VLD1.P 32(R5), [V4.D2, V5.D2]
	VLD1.P 32(R6), [V6.D2, V7.D2]
	VLD1.P 32(R7), [V8.D2, V9.D2]
	VLD1.P 32(R8), [V10.D2, V11.D2]
	VLD1.P 32(R9), [V12.D2, V13.D2]
	VLD1.P 32(R10), [V14.D2, V15.D2]
	VLD1.P 32(R11), [V20.D2, V21.D2]
	VLD1.P 32(R12), [V22.D2, V23.D2]
	FMULE(2, 4, 16, 0)
	FMULE(3, 5, 16, 0)
	FMLAE(0, 6, 16, 1)
	FMLAE(1, 7, 16, 1)
	FMLAE(2, 8, 17, 0)
	FMLAE(3, 9, 17, 0)
	FMLAE(0, 10, 17, 1)
	FMLAE(1, 11, 17, 1)
	FMLAE(2, 12, 18, 0)
	FMLAE(3, 13, 18, 0)
	FMLAE(0, 14, 18, 1)
	FMLAE(1, 15, 18, 1)
	FMLAE(2, 20, 19, 0)
	FMLAE(3, 21, 19, 0)
	FMLAE(0, 22, 19, 1)
	FMLAE(1, 23, 19, 1)
	FADDV2(0, 0, 2)
	FADDV2(1, 1, 3)
	VST1.P [V0.D2, V1.D2], 32(R1)
	SUB    $4, R0
	B      ax8_loop

ax8_end:
	RET
