//go:build amd64 && !purego

#include "textflag.h"

// Dense GEMM micro-kernels (AVX-512 8×24, AVX2 4×12, and the float32
// kernels, AVX-512 8×32 and AVX2 4×24, with their narrowing of the packed
// operands). Stubs in kernels_amd64.go.
//
// Matrices are float64, row-major; byte offsets are computed here, element
// counts come from Go. The AVX-512 kernels use masked loads and stores for
// partial tiles; the AVX2 ones use VMASKMOVPD with mask vectors prepared by
// Go.

// ---------------------------------------------------------------------------
// AVX-512 8×24 GEMM micro-kernel.
//
// func Gemm8x24(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *uint16)
//
// acc = Σ_p a[8p:8p+8] ⊗ b[24p:24p+24] (packed panels), then for the first
// rows rows i of C and the columns selected by the three 8-lane masks:
// C[i,:] = α·acc[i,:] + β·C[i,:] (C is not read when β = 0).

#define FMA8x24(off) \
	VMOVUPD (off*192)(BX), Z24; \
	VMOVUPD (off*192+64)(BX), Z25; \
	VMOVUPD (off*192+128)(BX), Z26; \
	VBROADCASTSD (off*64)(AX), Z27; \
	VBROADCASTSD (off*64+8)(AX), Z28; \
	VFMADD231PD Z24, Z27, Z0; \
	VFMADD231PD Z25, Z27, Z1; \
	VFMADD231PD Z26, Z27, Z2; \
	VFMADD231PD Z24, Z28, Z3; \
	VFMADD231PD Z25, Z28, Z4; \
	VFMADD231PD Z26, Z28, Z5; \
	VBROADCASTSD (off*64+16)(AX), Z27; \
	VBROADCASTSD (off*64+24)(AX), Z28; \
	VFMADD231PD Z24, Z27, Z6; \
	VFMADD231PD Z25, Z27, Z7; \
	VFMADD231PD Z26, Z27, Z8; \
	VFMADD231PD Z24, Z28, Z9; \
	VFMADD231PD Z25, Z28, Z10; \
	VFMADD231PD Z26, Z28, Z11; \
	VBROADCASTSD (off*64+32)(AX), Z27; \
	VBROADCASTSD (off*64+40)(AX), Z28; \
	VFMADD231PD Z24, Z27, Z12; \
	VFMADD231PD Z25, Z27, Z13; \
	VFMADD231PD Z26, Z27, Z14; \
	VFMADD231PD Z24, Z28, Z15; \
	VFMADD231PD Z25, Z28, Z16; \
	VFMADD231PD Z26, Z28, Z17; \
	VBROADCASTSD (off*64+48)(AX), Z27; \
	VBROADCASTSD (off*64+56)(AX), Z28; \
	VFMADD231PD Z24, Z27, Z18; \
	VFMADD231PD Z25, Z27, Z19; \
	VFMADD231PD Z26, Z27, Z20; \
	VFMADD231PD Z24, Z28, Z21; \
	VFMADD231PD Z25, Z28, Z22; \
	VFMADD231PD Z26, Z28, Z23

#define WB24G(r0, r1, r2) \
	VMOVUPD.Z (DI), K1, Z31; \
	VMULPD Z29, r0, r0; \
	VFMADD231PD Z31, Z30, r0; \
	VMOVUPD r0, K1, (DI); \
	VMOVUPD.Z 64(DI), K2, Z31; \
	VMULPD Z29, r1, r1; \
	VFMADD231PD Z31, Z30, r1; \
	VMOVUPD r1, K2, 64(DI); \
	VMOVUPD.Z 128(DI), K3, Z31; \
	VMULPD Z29, r2, r2; \
	VFMADD231PD Z31, Z30, r2; \
	VMOVUPD r2, K3, 128(DI); \
	ADDQ DX, DI

#define WB24Z(r0, r1, r2) \
	VMULPD Z29, r0, r0; \
	VMOVUPD r0, K1, (DI); \
	VMULPD Z29, r1, r1; \
	VMOVUPD r1, K2, 64(DI); \
	VMULPD Z29, r2, r2; \
	VMOVUPD r2, K3, 128(DI); \
	ADDQ DX, DI

TEXT ·Gemm8x24(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	VPXORQ Z16, Z16, Z16
	VPXORQ Z17, Z17, Z17
	VPXORQ Z18, Z18, Z18
	VPXORQ Z19, Z19, Z19
	VPXORQ Z20, Z20, Z20
	VPXORQ Z21, Z21, Z21
	VPXORQ Z22, Z22, Z22
	VPXORQ Z23, Z23, Z23
	CMPQ CX, $4
	JLT  g824_one

g824_four:
	FMA8x24(0)
	FMA8x24(1)
	FMA8x24(2)
	FMA8x24(3)
	ADDQ $256, AX
	ADDQ $768, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  g824_four

g824_one:
	TESTQ CX, CX
	JEQ   g824_wb
	FMA8x24(0)
	ADDQ  $64, AX
	ADDQ  $192, BX
	DECQ  CX
	JMP   g824_one

g824_wb:
	MOVQ         c+24(FP), DI
	MOVQ         ldc+32(FP), DX
	SHLQ         $3, DX
	MOVQ         masks+64(FP), SI
	KMOVW        (SI), K1
	KMOVW        2(SI), K2
	KMOVW        4(SI), K3
	VBROADCASTSD alpha+40(FP), Z29
	VBROADCASTSD beta+48(FP), Z30
	MOVQ         rows+56(FP), R8
	MOVQ         beta+48(FP), R9
	SHLQ         $1, R9
	JEQ          g824_b0
	WB24G(Z0, Z1, Z2)
	DECQ         R8
	JEQ          g824_done
	WB24G(Z3, Z4, Z5)
	DECQ         R8
	JEQ          g824_done
	WB24G(Z6, Z7, Z8)
	DECQ         R8
	JEQ          g824_done
	WB24G(Z9, Z10, Z11)
	DECQ         R8
	JEQ          g824_done
	WB24G(Z12, Z13, Z14)
	DECQ         R8
	JEQ          g824_done
	WB24G(Z15, Z16, Z17)
	DECQ         R8
	JEQ          g824_done
	WB24G(Z18, Z19, Z20)
	DECQ         R8
	JEQ          g824_done
	WB24G(Z21, Z22, Z23)
	JMP          g824_done

g824_b0:
	WB24Z(Z0, Z1, Z2)
	DECQ R8
	JEQ  g824_done
	WB24Z(Z3, Z4, Z5)
	DECQ R8
	JEQ  g824_done
	WB24Z(Z6, Z7, Z8)
	DECQ R8
	JEQ  g824_done
	WB24Z(Z9, Z10, Z11)
	DECQ R8
	JEQ  g824_done
	WB24Z(Z12, Z13, Z14)
	DECQ R8
	JEQ  g824_done
	WB24Z(Z15, Z16, Z17)
	DECQ R8
	JEQ  g824_done
	WB24Z(Z18, Z19, Z20)
	DECQ R8
	JEQ  g824_done
	WB24Z(Z21, Z22, Z23)

g824_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX2 4×12 GEMM micro-kernel, the same contract as Gemm8x24 with 4 rows,
// 12 columns and masks pointing to three 4-lane mask vectors (int64 −1/0).
//
// func Gemm4x12(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64)

#define FMA4x12(off) \
	VMOVUPD (off*96)(BX), Y12; \
	VMOVUPD (off*96+32)(BX), Y13; \
	VMOVUPD (off*96+64)(BX), Y14; \
	VBROADCASTSD (off*32)(AX), Y15; \
	VFMADD231PD Y12, Y15, Y0; \
	VFMADD231PD Y13, Y15, Y1; \
	VFMADD231PD Y14, Y15, Y2; \
	VBROADCASTSD (off*32+8)(AX), Y15; \
	VFMADD231PD Y12, Y15, Y3; \
	VFMADD231PD Y13, Y15, Y4; \
	VFMADD231PD Y14, Y15, Y5; \
	VBROADCASTSD (off*32+16)(AX), Y15; \
	VFMADD231PD Y12, Y15, Y6; \
	VFMADD231PD Y13, Y15, Y7; \
	VFMADD231PD Y14, Y15, Y8; \
	VBROADCASTSD (off*32+24)(AX), Y15; \
	VFMADD231PD Y12, Y15, Y9; \
	VFMADD231PD Y13, Y15, Y10; \
	VFMADD231PD Y14, Y15, Y11

// Y12 = α, Y13 = β, Y14 = mask, Y15 = scratch; SI points at the masks.
#define WB12G(r0, r1, r2) \
	VMOVUPD (SI), Y14; \
	VMASKMOVPD (DI), Y14, Y15; \
	VMULPD Y12, r0, r0; \
	VFMADD231PD Y15, Y13, r0; \
	VMASKMOVPD r0, Y14, (DI); \
	VMOVUPD 32(SI), Y14; \
	VMASKMOVPD 32(DI), Y14, Y15; \
	VMULPD Y12, r1, r1; \
	VFMADD231PD Y15, Y13, r1; \
	VMASKMOVPD r1, Y14, 32(DI); \
	VMOVUPD 64(SI), Y14; \
	VMASKMOVPD 64(DI), Y14, Y15; \
	VMULPD Y12, r2, r2; \
	VFMADD231PD Y15, Y13, r2; \
	VMASKMOVPD r2, Y14, 64(DI); \
	ADDQ DX, DI

#define WB12Z(r0, r1, r2) \
	VMOVUPD (SI), Y14; \
	VMULPD Y12, r0, r0; \
	VMASKMOVPD r0, Y14, (DI); \
	VMOVUPD 32(SI), Y14; \
	VMULPD Y12, r1, r1; \
	VMASKMOVPD r1, Y14, 32(DI); \
	VMOVUPD 64(SI), Y14; \
	VMULPD Y12, r2, r2; \
	VMASKMOVPD r2, Y14, 64(DI); \
	ADDQ DX, DI

TEXT ·Gemm4x12(SB), NOSPLIT, $0-72
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), AX
	MOVQ   b+16(FP), BX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	CMPQ   CX, $4
	JLT    g412_one

g412_four:
	FMA4x12(0)
	FMA4x12(1)
	FMA4x12(2)
	FMA4x12(3)
	ADDQ $128, AX
	ADDQ $384, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  g412_four

g412_one:
	TESTQ CX, CX
	JEQ   g412_wb
	FMA4x12(0)
	ADDQ  $32, AX
	ADDQ  $96, BX
	DECQ  CX
	JMP   g412_one

g412_wb:
	MOVQ         c+24(FP), DI
	MOVQ         ldc+32(FP), DX
	SHLQ         $3, DX
	MOVQ         masks+64(FP), SI
	VBROADCASTSD alpha+40(FP), Y12
	VBROADCASTSD beta+48(FP), Y13
	MOVQ         rows+56(FP), R8
	MOVQ         beta+48(FP), R9
	SHLQ         $1, R9
	JEQ          g412_b0
	WB12G(Y0, Y1, Y2)
	DECQ         R8
	JEQ          g412_done
	WB12G(Y3, Y4, Y5)
	DECQ         R8
	JEQ          g412_done
	WB12G(Y6, Y7, Y8)
	DECQ         R8
	JEQ          g412_done
	WB12G(Y9, Y10, Y11)
	JMP          g412_done

g412_b0:
	WB12Z(Y0, Y1, Y2)
	DECQ R8
	JEQ  g412_done
	WB12Z(Y3, Y4, Y5)
	DECQ R8
	JEQ  g412_done
	WB12Z(Y6, Y7, Y8)
	DECQ R8
	JEQ  g412_done
	WB12Z(Y9, Y10, Y11)

g412_done:
	VZEROUPPER
	RET

// func Narrow16(n int, src *float64, dst *float32)
//
// dst[i] = float32(src[i]) for i < 16·n, rounding to nearest.
TEXT ·Narrow16(SB), NOSPLIT, $0-24
	MOVQ  n+0(FP), CX
	MOVQ  src+8(FP), SI
	MOVQ  dst+16(FP), DI
	TESTQ CX, CX
	JEQ   n16_end

n16_loop:
	VCVTPD2PS (SI), Y0
	VCVTPD2PS 64(SI), Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $128, SI
	ADDQ      $64, DI
	DECQ      CX
	JNE       n16_loop

n16_end:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Float32 dense micro-kernel (Workspace.SetFloat32): C[0:rows, 0:32] =
// α·float64(A·B) + β·C, with A a packed panel of 8 float32 rows (8 values
// per step of k) and B a packed strip of 32 float32 columns (32 values per
// step), summed in float32 in 16 accumulators (row i in Z(2i), Z(2i+1)).
// masks[0:4] are the lane masks of the four float64 column vectors of C.
//
// func Gemm8x32s(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *uint16)

#define FMA8x32S(off) \
	VMOVUPS (off*128)(BX), Z16; \
	VMOVUPS (off*128+64)(BX), Z17; \
	VBROADCASTSS (off*32)(AX), Z18; \
	VBROADCASTSS (off*32+4)(AX), Z19; \
	VFMADD231PS Z16, Z18, Z0; \
	VFMADD231PS Z17, Z18, Z1; \
	VFMADD231PS Z16, Z19, Z2; \
	VFMADD231PS Z17, Z19, Z3; \
	VBROADCASTSS (off*32+8)(AX), Z18; \
	VBROADCASTSS (off*32+12)(AX), Z19; \
	VFMADD231PS Z16, Z18, Z4; \
	VFMADD231PS Z17, Z18, Z5; \
	VFMADD231PS Z16, Z19, Z6; \
	VFMADD231PS Z17, Z19, Z7; \
	VBROADCASTSS (off*32+16)(AX), Z18; \
	VBROADCASTSS (off*32+20)(AX), Z19; \
	VFMADD231PS Z16, Z18, Z8; \
	VFMADD231PS Z17, Z18, Z9; \
	VFMADD231PS Z16, Z19, Z10; \
	VFMADD231PS Z17, Z19, Z11; \
	VBROADCASTSS (off*32+24)(AX), Z18; \
	VBROADCASTSS (off*32+28)(AX), Z19; \
	VFMADD231PS Z16, Z18, Z12; \
	VFMADD231PS Z17, Z18, Z13; \
	VFMADD231PS Z16, Z19, Z14; \
	VFMADD231PS Z17, Z19, Z15

// WB32S widens the two float32 accumulators of a row (za, ya: the same
// register as Z and Y; zb, yb likewise) to four float64 vectors and writes
// α·acc + β·C (G) or α·acc (Z) to the row at DI, then moves DI to the next.
#define WB32WIDEN(za, ya, zb, yb) \
	VCVTPS2PD ya, Z20; \
	VEXTRACTF32X8 $1, za, Y21; \
	VCVTPS2PD Y21, Z21; \
	VCVTPS2PD yb, Z22; \
	VEXTRACTF32X8 $1, zb, Y23; \
	VCVTPS2PD Y23, Z23

#define WB32G(za, ya, zb, yb) \
	WB32WIDEN(za, ya, zb, yb); \
	VMOVUPD.Z (DI), K1, Z24; \
	VMULPD Z29, Z20, Z20; \
	VFMADD231PD Z24, Z30, Z20; \
	VMOVUPD Z20, K1, (DI); \
	VMOVUPD.Z 64(DI), K2, Z24; \
	VMULPD Z29, Z21, Z21; \
	VFMADD231PD Z24, Z30, Z21; \
	VMOVUPD Z21, K2, 64(DI); \
	VMOVUPD.Z 128(DI), K3, Z24; \
	VMULPD Z29, Z22, Z22; \
	VFMADD231PD Z24, Z30, Z22; \
	VMOVUPD Z22, K3, 128(DI); \
	VMOVUPD.Z 192(DI), K4, Z24; \
	VMULPD Z29, Z23, Z23; \
	VFMADD231PD Z24, Z30, Z23; \
	VMOVUPD Z23, K4, 192(DI); \
	ADDQ DX, DI

#define WB32Z(za, ya, zb, yb) \
	WB32WIDEN(za, ya, zb, yb); \
	VMULPD Z29, Z20, Z20; \
	VMOVUPD Z20, K1, (DI); \
	VMULPD Z29, Z21, Z21; \
	VMOVUPD Z21, K2, 64(DI); \
	VMULPD Z29, Z22, Z22; \
	VMOVUPD Z22, K3, 128(DI); \
	VMULPD Z29, Z23, Z23; \
	VMOVUPD Z23, K4, 192(DI); \
	ADDQ DX, DI

TEXT ·Gemm8x32s(SB), NOSPLIT, $0-72
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), AX
	MOVQ   b+16(FP), BX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	CMPQ   CX, $4
	JLT    s832_one

s832_four:
	FMA8x32S(0)
	FMA8x32S(1)
	FMA8x32S(2)
	FMA8x32S(3)
	ADDQ $128, AX
	ADDQ $512, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  s832_four

s832_one:
	TESTQ CX, CX
	JEQ   s832_wb
	FMA8x32S(0)
	ADDQ  $32, AX
	ADDQ  $128, BX
	DECQ  CX
	JMP   s832_one

s832_wb:
	MOVQ         c+24(FP), DI
	MOVQ         ldc+32(FP), DX
	SHLQ         $3, DX
	MOVQ         masks+64(FP), SI
	KMOVW        (SI), K1
	KMOVW        2(SI), K2
	KMOVW        4(SI), K3
	KMOVW        6(SI), K4
	VBROADCASTSD alpha+40(FP), Z29
	VBROADCASTSD beta+48(FP), Z30
	MOVQ         rows+56(FP), R8
	MOVQ         beta+48(FP), R9
	SHLQ         $1, R9
	JEQ          s832_b0
	WB32G(Z0, Y0, Z1, Y1)
	DECQ R8
	JEQ  s832_done
	WB32G(Z2, Y2, Z3, Y3)
	DECQ R8
	JEQ  s832_done
	WB32G(Z4, Y4, Z5, Y5)
	DECQ R8
	JEQ  s832_done
	WB32G(Z6, Y6, Z7, Y7)
	DECQ R8
	JEQ  s832_done
	WB32G(Z8, Y8, Z9, Y9)
	DECQ R8
	JEQ  s832_done
	WB32G(Z10, Y10, Z11, Y11)
	DECQ R8
	JEQ  s832_done
	WB32G(Z12, Y12, Z13, Y13)
	DECQ R8
	JEQ  s832_done
	WB32G(Z14, Y14, Z15, Y15)
	JMP  s832_done

s832_b0:
	WB32Z(Z0, Y0, Z1, Y1)
	DECQ R8
	JEQ  s832_done
	WB32Z(Z2, Y2, Z3, Y3)
	DECQ R8
	JEQ  s832_done
	WB32Z(Z4, Y4, Z5, Y5)
	DECQ R8
	JEQ  s832_done
	WB32Z(Z6, Y6, Z7, Y7)
	DECQ R8
	JEQ  s832_done
	WB32Z(Z8, Y8, Z9, Y9)
	DECQ R8
	JEQ  s832_done
	WB32Z(Z10, Y10, Z11, Y11)
	DECQ R8
	JEQ  s832_done
	WB32Z(Z12, Y12, Z13, Y13)
	DECQ R8
	JEQ  s832_done
	WB32Z(Z14, Y14, Z15, Y15)

s832_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX2 float32 narrowing: Narrow16 on 4-lane vectors, in groups of 4 (a
// 24-column strip of B is narrowed a row at a time).
//
// func Narrow4x2(n int, src *float64, dst *float32)
//
// dst[i] = float32(src[i]) for i < 4·n, rounding to nearest: 16 per pass,
// then 4.
TEXT ·Narrow4x2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ dst+16(FP), DI

n4x2_16:
	CMPQ        CX, $4
	JLT         n4x2_4
	VCVTPD2PSY  (SI), X0
	VCVTPD2PSY  32(SI), X1
	VCVTPD2PSY  64(SI), X2
	VCVTPD2PSY  96(SI), X3
	VINSERTF128 $1, X1, Y0, Y0
	VINSERTF128 $1, X3, Y2, Y2
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y2, 32(DI)
	ADDQ        $128, SI
	ADDQ        $64, DI
	SUBQ        $4, CX
	JMP         n4x2_16

n4x2_4:
	TESTQ      CX, CX
	JEQ        n4x2_end
	VCVTPD2PSY (SI), X0
	VMOVUPS    X0, (DI)
	ADDQ       $32, SI
	ADDQ       $16, DI
	DECQ       CX
	JMP        n4x2_4

n4x2_end:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX2 float32 dense micro-kernel (Workspace.SetFloat32): the contract of
// Gemm8x32s on 8-lane float32 vectors in a 4×24 tile, with the masks of
// Gemm4x12 (one int64 −1/0 per column of C, a prefix of the 24). The sums
// are float32, in 12 accumulators; the write-back widens each to two
// float64 vectors and writes C = α·acc + β·C (C not read when β = 0) in
// float64. A 6×16 tile (12 accumulators too) ran as fast alone, and 2–8%
// slower in runtime's products on an AMD EPYC (Zen 3): A packs in 4×4
// blocks (PackT4x4), and 24 columns waste less of 500 and 784.
//
// Write-back registers: Y15 = α, Y12 = mask, Y13 = C, Y14 = the upper half
// of an accumulator widened; β is a 4-lane vector at 0(SP) (no register is
// left for it). SI points at the masks, DI at the row of C.

// WB8SG writes the 8 columns of C at byte offset off (float64) from the
// float32 accumulator acc (xacc: the same register as X): plain loads and
// stores when all 8 are in use (VMASKMOVPD stores are slow on some CPUs,
// AMD's among them), masked ones when some are, nothing when none is (the
// masks are a prefix); part and done are labels unique to the call.
#define WB8SG(acc, xacc, off, part, done) \
	VEXTRACTF128 $1, acc, X14; \
	VCVTPS2PD X14, Y14; \
	VCVTPS2PD xacc, acc; \
	VMULPD Y15, acc, acc; \
	VMULPD Y15, Y14, Y14; \
	MOVQ (off+56)(SI), R10; \
	TESTQ R10, R10; \
	JEQ part; \
	VMOVUPD off(DI), Y13; \
	VFMADD231PD 0(SP), Y13, acc; \
	VMOVUPD acc, off(DI); \
	VMOVUPD (off+32)(DI), Y13; \
	VFMADD231PD 0(SP), Y13, Y14; \
	VMOVUPD Y14, (off+32)(DI); \
	JMP done; \
part: \
	MOVQ off(SI), R10; \
	TESTQ R10, R10; \
	JEQ done; \
	VMOVUPD off(SI), Y12; \
	VMASKMOVPD off(DI), Y12, Y13; \
	VFMADD231PD 0(SP), Y13, acc; \
	VMASKMOVPD acc, Y12, off(DI); \
	VMOVUPD (off+32)(SI), Y12; \
	VMASKMOVPD (off+32)(DI), Y12, Y13; \
	VFMADD231PD 0(SP), Y13, Y14; \
	VMASKMOVPD Y14, Y12, (off+32)(DI); \
done:

// WB8SZ is WB8SG for β = 0: C is not read.
#define WB8SZ(acc, xacc, off, part, done) \
	VEXTRACTF128 $1, acc, X14; \
	VCVTPS2PD X14, Y14; \
	VCVTPS2PD xacc, acc; \
	VMULPD Y15, acc, acc; \
	VMULPD Y15, Y14, Y14; \
	MOVQ (off+56)(SI), R10; \
	TESTQ R10, R10; \
	JEQ part; \
	VMOVUPD acc, off(DI); \
	VMOVUPD Y14, (off+32)(DI); \
	JMP done; \
part: \
	MOVQ off(SI), R10; \
	TESTQ R10, R10; \
	JEQ done; \
	VMOVUPD off(SI), Y12; \
	VMASKMOVPD acc, Y12, off(DI); \
	VMOVUPD (off+32)(SI), Y12; \
	VMASKMOVPD Y14, Y12, (off+32)(DI); \
done:

// A packs 4 float32 per step of k, B 24; row i of C sums in Y(3i),
// Y(3i+1), Y(3i+2).
//
// func Gemm4x24s(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *int64)

#define FMA4x24S(off) \
	VMOVUPS (off*96)(BX), Y12; \
	VMOVUPS (off*96+32)(BX), Y13; \
	VMOVUPS (off*96+64)(BX), Y14; \
	VBROADCASTSS (off*16)(AX), Y15; \
	VFMADD231PS Y12, Y15, Y0; \
	VFMADD231PS Y13, Y15, Y1; \
	VFMADD231PS Y14, Y15, Y2; \
	VBROADCASTSS (off*16+4)(AX), Y15; \
	VFMADD231PS Y12, Y15, Y3; \
	VFMADD231PS Y13, Y15, Y4; \
	VFMADD231PS Y14, Y15, Y5; \
	VBROADCASTSS (off*16+8)(AX), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VFMADD231PS Y14, Y15, Y8; \
	VBROADCASTSS (off*16+12)(AX), Y15; \
	VFMADD231PS Y12, Y15, Y9; \
	VFMADD231PS Y13, Y15, Y10; \
	VFMADD231PS Y14, Y15, Y11

#define WB24SG(a, xa, b, xb, c, xc, p0, d0, p1, d1, p2, d2) \
	WB8SG(a, xa, 0, p0, d0); \
	WB8SG(b, xb, 64, p1, d1); \
	WB8SG(c, xc, 128, p2, d2); \
	ADDQ DX, DI

#define WB24SZ(a, xa, b, xb, c, xc, p0, d0, p1, d1, p2, d2) \
	WB8SZ(a, xa, 0, p0, d0); \
	WB8SZ(b, xb, 64, p1, d1); \
	WB8SZ(c, xc, 128, p2, d2); \
	ADDQ DX, DI

TEXT ·Gemm4x24s(SB), NOSPLIT, $32-72
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), AX
	MOVQ   b+16(FP), BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	CMPQ   CX, $4
	JLT    s424_one

s424_four:
	FMA4x24S(0)
	FMA4x24S(1)
	FMA4x24S(2)
	FMA4x24S(3)
	ADDQ $64, AX
	ADDQ $384, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  s424_four

s424_one:
	TESTQ CX, CX
	JEQ   s424_wb
	FMA4x24S(0)
	ADDQ  $16, AX
	ADDQ  $96, BX
	DECQ  CX
	JMP   s424_one

s424_wb:
	MOVQ         c+24(FP), DI
	MOVQ         ldc+32(FP), DX
	SHLQ         $3, DX
	MOVQ         masks+64(FP), SI
	VBROADCASTSD alpha+40(FP), Y15
	VBROADCASTSD beta+48(FP), Y14
	VMOVUPD      Y14, 0(SP)
	MOVQ         rows+56(FP), R8
	MOVQ         beta+48(FP), R9
	SHLQ         $1, R9
	JEQ          s424_b0
	WB24SG(Y0, X0, Y1, X1, Y2, X2, s424g1_p0, s424g1_d0, s424g1_p1, s424g1_d1, s424g1_p2, s424g1_d2)
	DECQ         R8
	JEQ          s424_done
	WB24SG(Y3, X3, Y4, X4, Y5, X5, s424g2_p0, s424g2_d0, s424g2_p1, s424g2_d1, s424g2_p2, s424g2_d2)
	DECQ         R8
	JEQ          s424_done
	WB24SG(Y6, X6, Y7, X7, Y8, X8, s424g3_p0, s424g3_d0, s424g3_p1, s424g3_d1, s424g3_p2, s424g3_d2)
	DECQ         R8
	JEQ          s424_done
	WB24SG(Y9, X9, Y10, X10, Y11, X11, s424g4_p0, s424g4_d0, s424g4_p1, s424g4_d1, s424g4_p2, s424g4_d2)
	JMP          s424_done

s424_b0:
	WB24SZ(Y0, X0, Y1, X1, Y2, X2, s424z1_p0, s424z1_d0, s424z1_p1, s424z1_d1, s424z1_p2, s424z1_d2)
	DECQ R8
	JEQ  s424_done
	WB24SZ(Y3, X3, Y4, X4, Y5, X5, s424z2_p0, s424z2_d0, s424z2_p1, s424z2_d1, s424z2_p2, s424z2_d2)
	DECQ R8
	JEQ  s424_done
	WB24SZ(Y6, X6, Y7, X7, Y8, X8, s424z3_p0, s424z3_d0, s424z3_p1, s424z3_d1, s424z3_p2, s424z3_d2)
	DECQ R8
	JEQ  s424_done
	WB24SZ(Y9, X9, Y10, X10, Y11, X11, s424z4_p0, s424z4_d0, s424z4_p1, s424z4_d1, s424z4_p2, s424z4_d2)

s424_done:
	VZEROUPPER
	RET
