//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// NEON dot products of four rows with one vector. Stub in kernels_arm64.go.

// func dot4x2(n int, a *float64, lda int, x *float64, out *float64)
//
// out[t] = Σ_{j<n} a[t·lda + j]·x[j] for t < 4, n a multiple of 4 (the
// contract of the AVX2 dot4x2 in dot_amd64.s): two accumulators per row
// (V0–V7), four columns a step.
TEXT ·dot4x2(SB), NOSPLIT, $0-40
	MOVD n+0(FP), R0
	MOVD a+8(FP), R1
	MOVD lda+16(FP), R2
	LSL  $3, R2
	MOVD x+24(FP), R3
	ADD  R1, R2, R4
	ADD  R4, R2, R5
	ADD  R5, R2, R6
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16

d4_loop:
	CMP    $4, R0
	BLT    d4_red
	VLD1.P 32(R3), [V16.D2, V17.D2]
	VLD1.P 32(R1), [V18.D2, V19.D2]
	VLD1.P 32(R4), [V20.D2, V21.D2]
	VLD1.P 32(R5), [V22.D2, V23.D2]
	VLD1.P 32(R6), [V24.D2, V25.D2]
	VFMLA  V16.D2, V18.D2, V0.D2
	VFMLA  V17.D2, V19.D2, V1.D2
	VFMLA  V16.D2, V20.D2, V2.D2
	VFMLA  V17.D2, V21.D2, V3.D2
	VFMLA  V16.D2, V22.D2, V4.D2
	VFMLA  V17.D2, V23.D2, V5.D2
	VFMLA  V16.D2, V24.D2, V6.D2
	VFMLA  V17.D2, V25.D2, V7.D2
	SUB    $4, R0
	B      d4_loop

d4_red:
	FADDV2(0, 0, 1)
	FADDV2(2, 2, 3)
	FADDV2(4, 4, 5)
	FADDV2(6, 6, 7)
	FADDP2(0, 0)
	FADDP2(2, 2)
	FADDP2(4, 4)
	FADDP2(6, 6)
	MOVD  out+32(FP), R7
	FMOVD F0, (R7)
	FMOVD F2, 8(R7)
	FMOVD F4, 16(R7)
	FMOVD F6, 24(R7)
	RET
