//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// NEON sparse-row ("gather") kernel for strips of 32 columns, the contract
// of the AVX2 Gather32x2 (gather_amd64.s). Stub in kernels_arm64.go.
//
// func Gather32x2(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *int64, unit int)
//
// For each of m rows r of C:
//
//	acc = Σ_{e ∈ [start[r], start[r+1])} vals[e]·B[idx[e], 0:32]
//	C[r, j] = α·acc[j] + β·C[r, j]   for the j < 32 with masks[j] ≠ 0
//
// where the row of the strip B for entry e is at byte offset idx[e] from b.
// With unit ≠ 0 every vals[e] is 1 and is not loaded. C is not read when
// β = 0. acc is V0–V15; a row of B is read in two halves into V16–V23.

// GFMA8 adds vals[e]·(eight vectors at R15) to V(d)…V(d+7); V24[0] = vals[e].
#define GFMA8(d) \
	FMLAE(d, 16, 24, 0); \
	FMLAE(d+1, 17, 24, 0); \
	FMLAE(d+2, 18, 24, 0); \
	FMLAE(d+3, 19, 24, 0); \
	FMLAE(d+4, 20, 24, 0); \
	FMLAE(d+5, 21, 24, 0); \
	FMLAE(d+6, 22, 24, 0); \
	FMLAE(d+7, 23, 24, 0)

#define GADD8(d) \
	FADDV2(d, d, 16); \
	FADDV2(d+1, d+1, 17); \
	FADDV2(d+2, d+2, 18); \
	FADDV2(d+3, d+3, 19); \
	FADDV2(d+4, d+4, 20); \
	FADDV2(d+5, d+5, 21); \
	FADDV2(d+6, d+6, 22); \
	FADDV2(d+7, d+7, 23)

// GSCALE8 sets V(d)…V(d+7) *= α (V25[0]).
#define GSCALE8(d) \
	FMULE(d, d, 25, 0); \
	FMULE(d+1, d+1, 25, 0); \
	FMULE(d+2, d+2, 25, 0); \
	FMULE(d+3, d+3, 25, 0); \
	FMULE(d+4, d+4, 25, 0); \
	FMULE(d+5, d+5, 25, 0); \
	FMULE(d+6, d+6, 25, 0); \
	FMULE(d+7, d+7, 25, 0)

// GBETA8 adds β (V26[0]) times V16…V23 (a half row of C) to V(d)…V(d+7).
#define GBETA8(d) \
	FMLAE(d, 16, 26, 0); \
	FMLAE(d+1, 17, 26, 0); \
	FMLAE(d+2, 18, 26, 0); \
	FMLAE(d+3, 19, 26, 0); \
	FMLAE(d+4, 20, 26, 0); \
	FMLAE(d+5, 21, 26, 0); \
	FMLAE(d+6, 22, 26, 0); \
	FMLAE(d+7, 23, 26, 0)

TEXT ·Gather32x2(SB), NOSPLIT, $256-88
	MOVD  m+0(FP), R0
	MOVD  start+8(FP), R1
	MOVD  idx+16(FP), R2
	MOVD  vals+24(FP), R3
	MOVD  b+32(FP), R4
	MOVD  c+40(FP), R5
	MOVD  ldc+48(FP), R6
	LSL   $3, R6
	FMOVD alpha+56(FP), F25
	FMOVD beta+64(FP), F26
	MOVD  beta+64(FP), R9
	LSL   $1, R9              // 0 iff β = ±0
	MOVD  masks+72(FP), R7
	MOVD  unit+80(FP), R8
	MOVD  248(R7), R10        // masks[31]: all 32 columns in use
	CBZ   R0, g32_end

g32_row:
	VEOR   V0.B16, V0.B16, V0.B16
	VEOR   V1.B16, V1.B16, V1.B16
	VEOR   V2.B16, V2.B16, V2.B16
	VEOR   V3.B16, V3.B16, V3.B16
	VEOR   V4.B16, V4.B16, V4.B16
	VEOR   V5.B16, V5.B16, V5.B16
	VEOR   V6.B16, V6.B16, V6.B16
	VEOR   V7.B16, V7.B16, V7.B16
	VEOR   V8.B16, V8.B16, V8.B16
	VEOR   V9.B16, V9.B16, V9.B16
	VEOR   V10.B16, V10.B16, V10.B16
	VEOR   V11.B16, V11.B16, V11.B16
	VEOR   V12.B16, V12.B16, V12.B16
	VEOR   V13.B16, V13.B16, V13.B16
	VEOR   V14.B16, V14.B16, V14.B16
	VEOR   V15.B16, V15.B16, V15.B16
	MOVW   (R1), R11
	MOVW   4(R1), R12
	SUBS   R11, R12, R12      // entries of row r
	BLE    g32_wb
	ADD    R11<<3, R3, R13    // &vals[start[r]]
	ADD    R11<<2, R2, R14    // &idx[start[r]]
	CBNZ   R8, g32_unit

g32_ent:
	MOVW.P  4(R14), R15
	FMOVD.P 8(R13), F24
	ADD     R4, R15, R15
	VLD1.P  64(R15), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1.P  64(R15), [V20.D2, V21.D2, V22.D2, V23.D2]
	GFMA8(0)
	VLD1.P  64(R15), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1    (R15), [V20.D2, V21.D2, V22.D2, V23.D2]
	GFMA8(8)
	SUBS    $1, R12
	BNE     g32_ent
	B       g32_wb

g32_unit:
	MOVW.P 4(R14), R15
	ADD    R4, R15, R15
	VLD1.P 64(R15), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1.P 64(R15), [V20.D2, V21.D2, V22.D2, V23.D2]
	GADD8(0)
	VLD1.P 64(R15), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1   (R15), [V20.D2, V21.D2, V22.D2, V23.D2]
	GADD8(8)
	SUBS   $1, R12
	BNE    g32_unit

g32_wb:
	CBZ    R10, g32_part
	GSCALE8(0)
	GSCALE8(8)
	MOVD   R5, R19
	CBZ    R9, g32_store
	MOVD   R5, R20
	VLD1.P 64(R20), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1.P 64(R20), [V20.D2, V21.D2, V22.D2, V23.D2]
	GBETA8(0)
	VLD1.P 64(R20), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1   (R20), [V20.D2, V21.D2, V22.D2, V23.D2]
	GBETA8(8)

g32_store:
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R19)
	VST1.P [V4.D2, V5.D2, V6.D2, V7.D2], 64(R19)
	VST1.P [V8.D2, V9.D2, V10.D2, V11.D2], 64(R19)
	VST1   [V12.D2, V13.D2, V14.D2, V15.D2], (R19)
	B      g32_next

	// Some columns masked out: acc goes to the frame and C is written a
	// value at a time.
g32_part:
	MOVD   $acc-256(SP), R19
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R19)
	VST1.P [V4.D2, V5.D2, V6.D2, V7.D2], 64(R19)
	VST1.P [V8.D2, V9.D2, V10.D2, V11.D2], 64(R19)
	VST1   [V12.D2, V13.D2, V14.D2, V15.D2], (R19)
	MOVD   $acc-256(SP), R19
	MOVD   $0, R20

g32_pcol:
	MOVD   (R7)(R20<<3), R11
	CBZ    R11, g32_pnext
	FMOVD  (R19)(R20<<3), F0
	FMULD  F25, F0, F0
	CBZ    R9, g32_pstore
	FMOVD  (R5)(R20<<3), F1
	FMADDD F26, F0, F1, F0    // F0 += F1·β

g32_pstore:
	FMOVD F0, (R5)(R20<<3)

g32_pnext:
	ADD $1, R20
	CMP $32, R20
	BLT g32_pcol

g32_next:
	ADD  R6, R5
	ADD  $4, R1
	SUBS $1, R0
	BNE  g32_row

g32_end:
	RET
