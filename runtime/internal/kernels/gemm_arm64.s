//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// NEON 4×12 dense GEMM micro-kernel: the contract, packing layout and
// masks of the AVX2 Gemm4x12 (gemm_amd64.s), so that runtime's driver
// runs unchanged. Stub in kernels_arm64.go.
//
// func Gemm4x12(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64)
//
// acc = Σ_{p<k} a[4p:4p+4] ⊗ b[12p:12p+12] (packed panels), then for the
// first rows rows i of C and the columns j with masks[j] ≠ 0:
// C[i,j] = α·acc[i,j] + β·C[i,j] (C is not read when β = 0).
//
// Registers: V0–V23 hold acc (row i in V(6i)…V(6i+5), two columns each),
// V24–V29 a row of the B panel, V30 = a[4p:4p+2] and V31 = a[4p+2:4p+4],
// taken by lane in the by-element FMLA: 32 vector registers, 24 FMLA
// (96 flops) for 3 loads per step of k.

#define FMA4x12 \
	VLD1.P 32(R1), [V30.D2, V31.D2]; \
	VLD1.P 64(R2), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	VLD1.P 32(R2), [V28.D2, V29.D2]; \
	FMLAE(0, 24, 30, 0); \
	FMLAE(1, 25, 30, 0); \
	FMLAE(2, 26, 30, 0); \
	FMLAE(3, 27, 30, 0); \
	FMLAE(4, 28, 30, 0); \
	FMLAE(5, 29, 30, 0); \
	FMLAE(6, 24, 30, 1); \
	FMLAE(7, 25, 30, 1); \
	FMLAE(8, 26, 30, 1); \
	FMLAE(9, 27, 30, 1); \
	FMLAE(10, 28, 30, 1); \
	FMLAE(11, 29, 30, 1); \
	FMLAE(12, 24, 31, 0); \
	FMLAE(13, 25, 31, 0); \
	FMLAE(14, 26, 31, 0); \
	FMLAE(15, 27, 31, 0); \
	FMLAE(16, 28, 31, 0); \
	FMLAE(17, 29, 31, 0); \
	FMLAE(18, 24, 31, 1); \
	FMLAE(19, 25, 31, 1); \
	FMLAE(20, 26, 31, 1); \
	FMLAE(21, 27, 31, 1); \
	FMLAE(22, 28, 31, 1); \
	FMLAE(23, 29, 31, 1)

// Write-back of one row whose 12 columns are all in use, accumulators
// Vd…V(d+5) (numbers d…d+5, names x0…x5); V30[0] = α, V31[0] = β; R3
// points at the row of C and moves on by R4 (ldc in bytes).
#define WB12G(d, x0, x1, x2, x3, x4, x5) \
	MOVD R3, R8; \
	VLD1.P 64(R8), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	VLD1 (R8), [V28.D2, V29.D2]; \
	FMULE(d, d, 30, 0); \
	FMULE(d+1, d+1, 30, 0); \
	FMULE(d+2, d+2, 30, 0); \
	FMULE(d+3, d+3, 30, 0); \
	FMULE(d+4, d+4, 30, 0); \
	FMULE(d+5, d+5, 30, 0); \
	FMLAE(d, 24, 31, 0); \
	FMLAE(d+1, 25, 31, 0); \
	FMLAE(d+2, 26, 31, 0); \
	FMLAE(d+3, 27, 31, 0); \
	FMLAE(d+4, 28, 31, 0); \
	FMLAE(d+5, 29, 31, 0); \
	MOVD R3, R8; \
	VST1.P [x0.D2, x1.D2, x2.D2, x3.D2], 64(R8); \
	VST1 [x4.D2, x5.D2], (R8); \
	ADD R4, R3

// As WB12G for β = 0: C[i,:] = α·acc[i,:], C not read.
#define WB12Z(d, x0, x1, x2, x3, x4, x5) \
	FMULE(d, d, 30, 0); \
	FMULE(d+1, d+1, 30, 0); \
	FMULE(d+2, d+2, 30, 0); \
	FMULE(d+3, d+3, 30, 0); \
	FMULE(d+4, d+4, 30, 0); \
	FMULE(d+5, d+5, 30, 0); \
	MOVD R3, R8; \
	VST1.P [x0.D2, x1.D2, x2.D2, x3.D2], 64(R8); \
	VST1 [x4.D2, x5.D2], (R8); \
	ADD R4, R3

TEXT ·Gemm4x12(SB), NOSPLIT, $384-72
	MOVD k+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	CMP  $2, R0
	BLT  g412_one

g412_two:
	FMA4x12
	FMA4x12
	SUB  $2, R0
	CMP  $2, R0
	BGE  g412_two

g412_one:
	CBZ R0, g412_wb
	FMA4x12

g412_wb:
	MOVD  c+24(FP), R3
	MOVD  ldc+32(FP), R4
	LSL   $3, R4
	FMOVD alpha+40(FP), F30
	FMOVD beta+48(FP), F31
	MOVD  rows+56(FP), R5
	MOVD  masks+64(FP), R6
	MOVD  beta+48(FP), R7
	LSL   $1, R7             // 0 iff β = ±0
	MOVD  88(R6), R9         // masks[11]: all twelve columns in use
	CBZ   R9, g412_part
	CBZ   R7, g412_b0
	WB12G(0, V0, V1, V2, V3, V4, V5)
	SUBS  $1, R5
	BEQ   g412_done
	WB12G(6, V6, V7, V8, V9, V10, V11)
	SUBS  $1, R5
	BEQ   g412_done
	WB12G(12, V12, V13, V14, V15, V16, V17)
	SUBS  $1, R5
	BEQ   g412_done
	WB12G(18, V18, V19, V20, V21, V22, V23)
	B     g412_done

g412_b0:
	WB12Z(0, V0, V1, V2, V3, V4, V5)
	SUBS $1, R5
	BEQ  g412_done
	WB12Z(6, V6, V7, V8, V9, V10, V11)
	SUBS $1, R5
	BEQ  g412_done
	WB12Z(12, V12, V13, V14, V15, V16, V17)
	SUBS $1, R5
	BEQ  g412_done
	WB12Z(18, V18, V19, V20, V21, V22, V23)
	B    g412_done

	// Some columns masked out: acc goes to the frame (12 values a row)
	// and C is written a value at a time.
g412_part:
	MOVD   $acc-384(SP), R9
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R9)
	VST1.P [V4.D2, V5.D2, V6.D2, V7.D2], 64(R9)
	VST1.P [V8.D2, V9.D2, V10.D2, V11.D2], 64(R9)
	VST1.P [V12.D2, V13.D2, V14.D2, V15.D2], 64(R9)
	VST1.P [V16.D2, V17.D2, V18.D2, V19.D2], 64(R9)
	VST1   [V20.D2, V21.D2, V22.D2, V23.D2], (R9)
	MOVD   $acc-384(SP), R9

g412_prow:
	MOVD $0, R10

g412_pcol:
	MOVD   (R6)(R10<<3), R11
	CBZ    R11, g412_pnext
	FMOVD  (R9)(R10<<3), F0
	FMULD  F30, F0, F0
	CBZ    R7, g412_pstore
	FMOVD  (R3)(R10<<3), F1
	FMADDD F31, F0, F1, F0   // F0 += F1·β

g412_pstore:
	FMOVD F0, (R3)(R10<<3)

g412_pnext:
	ADD  $1, R10
	CMP  $12, R10
	BLT  g412_pcol
	ADD  $96, R9
	ADD  R4, R3
	SUBS $1, R5
	BNE  g412_prow

g412_done:
	RET
