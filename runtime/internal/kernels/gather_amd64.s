//go:build amd64 && !purego

#include "textflag.h"

// Sparse-row GEMM kernels: rows of C gathered from the rows of B selected by
// the nonzeros of A. Stubs in kernels_amd64.go.
//
// Matrices are float64, row-major; byte offsets are computed here, element
// counts come from Go. The AVX-512 kernels use masked loads and stores for
// partial tiles; the AVX2 ones use VMASKMOVPD with mask vectors prepared by
// Go.

// ---------------------------------------------------------------------------
// AVX-512 sparse-row ("gather") kernels. For each of m rows r of C:
//
//	acc = Σ_{e ∈ [start[r], start[r+1])} vals[e]·B[idx[e], 0:w]
//	C[r, 0:w] = α·acc + β·C[r, 0:w]   (masked to the columns in use)
//
// where B is a strip of w = 64 (or 32) columns whose row for entry e is at
// byte offset idx[e] from b. With unit ≠ 0 every vals[e] is 1 and is not loaded.
//
// func Gather64(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int)
// masks[0:4] are the lane masks of the column vectors 4..7 (0..3 are full).

#define GWBG(acc, off, kreg) \
	VMOVUPD.Z off(DI), kreg, Z17; \
	VMULPD Z29, acc, acc; \
	VFMADD231PD Z17, Z30, acc; \
	VMOVUPD acc, kreg, off(DI)

#define GWBZ(acc, off, kreg) \
	VMULPD Z29, acc, acc; \
	VMOVUPD acc, kreg, off(DI)

TEXT ·Gather64(SB), NOSPLIT, $0-88
	MOVQ         m+0(FP), CX
	MOVQ         start+8(FP), R10
	MOVQ         idx+16(FP), SI
	MOVQ         vals+24(FP), DX
	MOVQ         b+32(FP), BX
	MOVQ         c+40(FP), DI
	MOVQ         ldc+48(FP), R8
	SHLQ         $3, R8
	VBROADCASTSD alpha+56(FP), Z29
	VBROADCASTSD beta+64(FP), Z30
	MOVQ         masks+72(FP), AX
	KMOVW        (AX), K4
	KMOVW        2(AX), K5
	KMOVW        4(AX), K6
	KMOVW        6(AX), K7
	KXNORW       K1, K1, K1
	MOVQ         unit+80(FP), R11
	MOVQ         beta+64(FP), AX
	SHLQ         $1, AX
	TESTQ        CX, CX
	JEQ          g64_end

g64_row:
	VPXORQ   Z0, Z0, Z0
	VPXORQ   Z1, Z1, Z1
	VPXORQ   Z2, Z2, Z2
	VPXORQ   Z3, Z3, Z3
	VPXORQ   Z4, Z4, Z4
	VPXORQ   Z5, Z5, Z5
	VPXORQ   Z6, Z6, Z6
	VPXORQ   Z7, Z7, Z7
	MOVLQSX  (R10), R13
	MOVLQSX  4(R10), R12
	SUBQ     R13, R12
	JLE      g64_wb
	VPXORQ   Z8, Z8, Z8
	VPXORQ   Z9, Z9, Z9
	VPXORQ   Z10, Z10, Z10
	VPXORQ   Z11, Z11, Z11
	VPXORQ   Z12, Z12, Z12
	VPXORQ   Z13, Z13, Z13
	VPXORQ   Z14, Z14, Z14
	VPXORQ   Z15, Z15, Z15
	LEAQ     (DX)(R13*8), R14
	LEAQ     (SI)(R13*4), R13
	TESTQ    R11, R11
	JNE      g64_unit

	// Two entries per iteration, into two sets of accumulators.
	TESTQ        $1, R12
	JEQ          g64_ent2
	MOVLQSX      (R13), R9
	ADDQ         BX, R9
	VBROADCASTSD (R14), Z16
	VFMADD231PD  (R9), Z16, Z0
	VFMADD231PD  64(R9), Z16, Z1
	VFMADD231PD  128(R9), Z16, Z2
	VFMADD231PD  192(R9), Z16, Z3
	VFMADD231PD  256(R9), Z16, Z4
	VFMADD231PD  320(R9), Z16, Z5
	VFMADD231PD  384(R9), Z16, Z6
	VFMADD231PD  448(R9), Z16, Z7
	ADDQ         $4, R13
	ADDQ         $8, R14
	DECQ         R12
	JEQ          g64_sum

g64_ent2:
	MOVLQSX      (R13), R9
	ADDQ         BX, R9
	VBROADCASTSD (R14), Z16
	VFMADD231PD  (R9), Z16, Z0
	VFMADD231PD  64(R9), Z16, Z1
	VFMADD231PD  128(R9), Z16, Z2
	VFMADD231PD  192(R9), Z16, Z3
	VFMADD231PD  256(R9), Z16, Z4
	VFMADD231PD  320(R9), Z16, Z5
	VFMADD231PD  384(R9), Z16, Z6
	VFMADD231PD  448(R9), Z16, Z7
	MOVLQSX      4(R13), R9
	ADDQ         BX, R9
	VBROADCASTSD 8(R14), Z17
	VFMADD231PD  (R9), Z17, Z8
	VFMADD231PD  64(R9), Z17, Z9
	VFMADD231PD  128(R9), Z17, Z10
	VFMADD231PD  192(R9), Z17, Z11
	VFMADD231PD  256(R9), Z17, Z12
	VFMADD231PD  320(R9), Z17, Z13
	VFMADD231PD  384(R9), Z17, Z14
	VFMADD231PD  448(R9), Z17, Z15
	ADDQ         $8, R13
	ADDQ         $16, R14
	SUBQ         $2, R12
	JNE          g64_ent2
	JMP          g64_sum

g64_unit:
	TESTQ   $1, R12
	JEQ     g64_unit2
	MOVLQSX (R13), R9
	ADDQ    BX, R9
	VADDPD  (R9), Z0, Z0
	VADDPD  64(R9), Z1, Z1
	VADDPD  128(R9), Z2, Z2
	VADDPD  192(R9), Z3, Z3
	VADDPD  256(R9), Z4, Z4
	VADDPD  320(R9), Z5, Z5
	VADDPD  384(R9), Z6, Z6
	VADDPD  448(R9), Z7, Z7
	ADDQ    $4, R13
	DECQ    R12
	JEQ     g64_sum

g64_unit2:
	MOVLQSX (R13), R9
	MOVLQSX 4(R13), R14
	ADDQ    BX, R9
	ADDQ    BX, R14
	VADDPD  (R9), Z0, Z0
	VADDPD  64(R9), Z1, Z1
	VADDPD  128(R9), Z2, Z2
	VADDPD  192(R9), Z3, Z3
	VADDPD  256(R9), Z4, Z4
	VADDPD  320(R9), Z5, Z5
	VADDPD  384(R9), Z6, Z6
	VADDPD  448(R9), Z7, Z7
	VADDPD  (R14), Z8, Z8
	VADDPD  64(R14), Z9, Z9
	VADDPD  128(R14), Z10, Z10
	VADDPD  192(R14), Z11, Z11
	VADDPD  256(R14), Z12, Z12
	VADDPD  320(R14), Z13, Z13
	VADDPD  384(R14), Z14, Z14
	VADDPD  448(R14), Z15, Z15
	ADDQ    $8, R13
	SUBQ    $2, R12
	JNE     g64_unit2

g64_sum:
	VADDPD Z8, Z0, Z0
	VADDPD Z9, Z1, Z1
	VADDPD Z10, Z2, Z2
	VADDPD Z11, Z3, Z3
	VADDPD Z12, Z4, Z4
	VADDPD Z13, Z5, Z5
	VADDPD Z14, Z6, Z6
	VADDPD Z15, Z7, Z7

g64_wb:
	TESTQ AX, AX
	JEQ   g64_wbz
	GWBG(Z0, 0, K1)
	GWBG(Z1, 64, K1)
	GWBG(Z2, 128, K1)
	GWBG(Z3, 192, K1)
	GWBG(Z4, 256, K4)
	GWBG(Z5, 320, K5)
	GWBG(Z6, 384, K6)
	GWBG(Z7, 448, K7)
	JMP   g64_next

g64_wbz:
	GWBZ(Z0, 0, K1)
	GWBZ(Z1, 64, K1)
	GWBZ(Z2, 128, K1)
	GWBZ(Z3, 192, K1)
	GWBZ(Z4, 256, K4)
	GWBZ(Z5, 320, K5)
	GWBZ(Z6, 384, K6)
	GWBZ(Z7, 448, K7)

g64_next:
	ADDQ R8, DI
	ADDQ $4, R10
	DECQ CX
	JNE  g64_row

g64_end:
	VZEROUPPER
	RET

// func Gather32(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int)
// As Gather64 for a strip of 32 columns; masks[0:4] are the lane masks of
// the four column vectors.
TEXT ·Gather32(SB), NOSPLIT, $0-88
	MOVQ         m+0(FP), CX
	MOVQ         start+8(FP), R10
	MOVQ         idx+16(FP), SI
	MOVQ         vals+24(FP), DX
	MOVQ         b+32(FP), BX
	MOVQ         c+40(FP), DI
	MOVQ         ldc+48(FP), R8
	SHLQ         $3, R8
	VBROADCASTSD alpha+56(FP), Z29
	VBROADCASTSD beta+64(FP), Z30
	MOVQ         masks+72(FP), AX
	KMOVW        (AX), K4
	KMOVW        2(AX), K5
	KMOVW        4(AX), K6
	KMOVW        6(AX), K7
	MOVQ         unit+80(FP), R11
	MOVQ         beta+64(FP), AX
	SHLQ         $1, AX
	TESTQ        CX, CX
	JEQ          g32_end

g32_row:
	VPXORQ   Z0, Z0, Z0
	VPXORQ   Z1, Z1, Z1
	VPXORQ   Z2, Z2, Z2
	VPXORQ   Z3, Z3, Z3
	MOVLQSX  (R10), R13
	MOVLQSX  4(R10), R12
	SUBQ     R13, R12
	JLE      g32_wb
	LEAQ     (DX)(R13*8), R14
	LEAQ     (SI)(R13*4), R13
	TESTQ    R11, R11
	JNE      g32_unit

g32_ent:
	MOVLQSX      (R13), R9
	ADDQ         BX, R9
	VBROADCASTSD (R14), Z16
	VFMADD231PD  (R9), Z16, Z0
	VFMADD231PD  64(R9), Z16, Z1
	VFMADD231PD  128(R9), Z16, Z2
	VFMADD231PD  192(R9), Z16, Z3
	ADDQ         $4, R13
	ADDQ         $8, R14
	DECQ         R12
	JNE          g32_ent
	JMP          g32_wb

g32_unit:
	MOVLQSX (R13), R9
	ADDQ    BX, R9
	VADDPD  (R9), Z0, Z0
	VADDPD  64(R9), Z1, Z1
	VADDPD  128(R9), Z2, Z2
	VADDPD  192(R9), Z3, Z3
	ADDQ    $4, R13
	DECQ    R12
	JNE     g32_unit

g32_wb:
	TESTQ AX, AX
	JEQ   g32_wbz
	GWBG(Z0, 0, K4)
	GWBG(Z1, 64, K5)
	GWBG(Z2, 128, K6)
	GWBG(Z3, 192, K7)
	JMP   g32_next

g32_wbz:
	GWBZ(Z0, 0, K4)
	GWBZ(Z1, 64, K5)
	GWBZ(Z2, 128, K6)
	GWBZ(Z3, 192, K7)

g32_next:
	ADDQ R8, DI
	ADDQ $4, R10
	DECQ CX
	JNE  g32_row

g32_end:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX2 gather kernel for strips of 32 columns (eight 4-lane vectors).
//
// func Gather32x2(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *int64, unit int)
// masks points to eight 4-lane mask vectors (int64 −1/0).

#define GWB2G(acc, off) \
	VMOVUPD (off)(AX), Y11; \
	VMASKMOVPD off(DI), Y11, Y12; \
	VMULPD Y9, acc, acc; \
	VFMADD231PD Y12, Y10, acc; \
	VMASKMOVPD acc, Y11, off(DI)

#define GWB2Z(acc, off) \
	VMOVUPD (off)(AX), Y11; \
	VMULPD Y9, acc, acc; \
	VMASKMOVPD acc, Y11, off(DI)

TEXT ·Gather32x2(SB), NOSPLIT, $0-88
	MOVQ         m+0(FP), CX
	MOVQ         start+8(FP), R10
	MOVQ         idx+16(FP), SI
	MOVQ         vals+24(FP), DX
	MOVQ         b+32(FP), BX
	MOVQ         c+40(FP), DI
	MOVQ         ldc+48(FP), R8
	SHLQ         $3, R8
	VBROADCASTSD alpha+56(FP), Y9
	VBROADCASTSD beta+64(FP), Y10
	MOVQ         masks+72(FP), AX
	MOVQ         unit+80(FP), R11
	TESTQ        CX, CX
	JEQ          g32x2_end

g32x2_row:
	VXORPD   Y0, Y0, Y0
	VXORPD   Y1, Y1, Y1
	VXORPD   Y2, Y2, Y2
	VXORPD   Y3, Y3, Y3
	VXORPD   Y4, Y4, Y4
	VXORPD   Y5, Y5, Y5
	VXORPD   Y6, Y6, Y6
	VXORPD   Y7, Y7, Y7
	MOVLQSX  (R10), R13
	MOVLQSX  4(R10), R12
	SUBQ     R13, R12
	JLE      g32x2_wb
	LEAQ     (DX)(R13*8), R14
	LEAQ     (SI)(R13*4), R13
	TESTQ    R11, R11
	JNE      g32x2_unit

g32x2_ent:
	MOVLQSX      (R13), R9
	VBROADCASTSD (R14), Y8
	VFMADD231PD  (BX)(R9*1), Y8, Y0
	VFMADD231PD  32(BX)(R9*1), Y8, Y1
	VFMADD231PD  64(BX)(R9*1), Y8, Y2
	VFMADD231PD  96(BX)(R9*1), Y8, Y3
	VFMADD231PD  128(BX)(R9*1), Y8, Y4
	VFMADD231PD  160(BX)(R9*1), Y8, Y5
	VFMADD231PD  192(BX)(R9*1), Y8, Y6
	VFMADD231PD  224(BX)(R9*1), Y8, Y7
	ADDQ         $4, R13
	ADDQ         $8, R14
	DECQ         R12
	JNE          g32x2_ent
	JMP          g32x2_wb

g32x2_unit:
	MOVLQSX (R13), R9
	VADDPD  (BX)(R9*1), Y0, Y0
	VADDPD  32(BX)(R9*1), Y1, Y1
	VADDPD  64(BX)(R9*1), Y2, Y2
	VADDPD  96(BX)(R9*1), Y3, Y3
	VADDPD  128(BX)(R9*1), Y4, Y4
	VADDPD  160(BX)(R9*1), Y5, Y5
	VADDPD  192(BX)(R9*1), Y6, Y6
	VADDPD  224(BX)(R9*1), Y7, Y7
	ADDQ    $4, R13
	DECQ    R12
	JNE     g32x2_unit

g32x2_wb:
	MOVQ  beta+64(FP), R9
	SHLQ  $1, R9
	JEQ   g32x2_wbz
	GWB2G(Y0, 0)
	GWB2G(Y1, 32)
	GWB2G(Y2, 64)
	GWB2G(Y3, 96)
	GWB2G(Y4, 128)
	GWB2G(Y5, 160)
	GWB2G(Y6, 192)
	GWB2G(Y7, 224)
	JMP   g32x2_next

g32x2_wbz:
	GWB2Z(Y0, 0)
	GWB2Z(Y1, 32)
	GWB2Z(Y2, 64)
	GWB2Z(Y3, 96)
	GWB2Z(Y4, 128)
	GWB2Z(Y5, 160)
	GWB2Z(Y6, 192)
	GWB2Z(Y7, 224)

g32x2_next:
	ADDQ R8, DI
	ADDQ $4, R10
	DECQ CX
	JNE  g32x2_row

g32x2_end:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Float32 sparse-row kernel (Workspace.SetFloat32). As Gather64, but the
// strip of B holds float32 values (64 per row, idx in bytes of float32
// rows), vals are float32, and the sums are accumulated in float32; the
// write-back converts them to float64:
//
//	C[r, 0:64] = α·float64(acc) + β·C[r, 0:64]   (masked to the columns in use)
//
// idx holds the byte offsets of the float64 strip (as for Gather64), halved
// here for the float32 one.
//
// func Gather64s(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int)

TEXT ·Gather64s(SB), NOSPLIT, $0-88
	MOVQ         m+0(FP), CX
	MOVQ         start+8(FP), R10
	MOVQ         idx+16(FP), SI
	MOVQ         vals+24(FP), DX
	MOVQ         b+32(FP), BX
	MOVQ         c+40(FP), DI
	MOVQ         ldc+48(FP), R8
	SHLQ         $3, R8
	VBROADCASTSD alpha+56(FP), Z29
	VBROADCASTSD beta+64(FP), Z30
	MOVQ         masks+72(FP), AX
	KMOVW        (AX), K4
	KMOVW        2(AX), K5
	KMOVW        4(AX), K6
	KMOVW        6(AX), K7
	KXNORW       K1, K1, K1
	MOVQ         unit+80(FP), R11
	MOVQ         beta+64(FP), AX
	SHLQ         $1, AX
	TESTQ        CX, CX
	JEQ          s64_end

s64_row:
	VPXORQ  Z0, Z0, Z0
	VPXORQ  Z1, Z1, Z1
	VPXORQ  Z2, Z2, Z2
	VPXORQ  Z3, Z3, Z3
	VPXORQ  Z8, Z8, Z8
	VPXORQ  Z9, Z9, Z9
	VPXORQ  Z10, Z10, Z10
	VPXORQ  Z11, Z11, Z11
	MOVLQSX (R10), R13
	MOVLQSX 4(R10), R12
	SUBQ    R13, R12
	JLE     s64_wb
	LEAQ    (DX)(R13*4), R14
	LEAQ    (SI)(R13*4), R13
	TESTQ   R11, R11
	JNE     s64_unit

	TESTQ        $1, R12
	JEQ          s64_ent2
	MOVLQSX      (R13), R9
	SHRQ         $1, R9
	ADDQ         BX, R9
	VBROADCASTSS (R14), Z16
	VFMADD231PS  (R9), Z16, Z0
	VFMADD231PS  64(R9), Z16, Z1
	VFMADD231PS  128(R9), Z16, Z2
	VFMADD231PS  192(R9), Z16, Z3
	ADDQ         $4, R13
	ADDQ         $4, R14
	DECQ         R12
	JEQ          s64_sum

s64_ent2:
	MOVLQSX      (R13), R9
	SHRQ         $1, R9
	ADDQ         BX, R9
	VBROADCASTSS (R14), Z16
	VFMADD231PS  (R9), Z16, Z0
	VFMADD231PS  64(R9), Z16, Z1
	VFMADD231PS  128(R9), Z16, Z2
	VFMADD231PS  192(R9), Z16, Z3
	MOVLQSX      4(R13), R9
	SHRQ         $1, R9
	ADDQ         BX, R9
	VBROADCASTSS 4(R14), Z17
	VFMADD231PS  (R9), Z17, Z8
	VFMADD231PS  64(R9), Z17, Z9
	VFMADD231PS  128(R9), Z17, Z10
	VFMADD231PS  192(R9), Z17, Z11
	ADDQ         $8, R13
	ADDQ         $8, R14
	SUBQ         $2, R12
	JNE          s64_ent2
	JMP          s64_sum

s64_unit:
	TESTQ   $1, R12
	JEQ     s64_unit2
	MOVLQSX (R13), R9
	SHRQ    $1, R9
	ADDQ    BX, R9
	VADDPS  (R9), Z0, Z0
	VADDPS  64(R9), Z1, Z1
	VADDPS  128(R9), Z2, Z2
	VADDPS  192(R9), Z3, Z3
	ADDQ    $4, R13
	DECQ    R12
	JEQ     s64_sum

s64_unit2:
	MOVLQSX (R13), R9
	MOVLQSX 4(R13), R14
	SHRQ    $1, R9
	SHRQ    $1, R14
	ADDQ    BX, R9
	ADDQ    BX, R14
	VADDPS  (R9), Z0, Z0
	VADDPS  64(R9), Z1, Z1
	VADDPS  128(R9), Z2, Z2
	VADDPS  192(R9), Z3, Z3
	VADDPS  (R14), Z8, Z8
	VADDPS  64(R14), Z9, Z9
	VADDPS  128(R14), Z10, Z10
	VADDPS  192(R14), Z11, Z11
	ADDQ    $8, R13
	SUBQ    $2, R12
	JNE     s64_unit2

s64_sum:
	VADDPS Z8, Z0, Z0
	VADDPS Z9, Z1, Z1
	VADDPS Z10, Z2, Z2
	VADDPS Z11, Z3, Z3

s64_wb:
	// Widen the 4 float32 vectors to the 8 float64 vectors Z20…Z27.
	VCVTPS2PD     Y0, Z20
	VEXTRACTF32X8 $1, Z0, Y21
	VCVTPS2PD     Y21, Z21
	VCVTPS2PD     Y1, Z22
	VEXTRACTF32X8 $1, Z1, Y23
	VCVTPS2PD     Y23, Z23
	VCVTPS2PD     Y2, Z24
	VEXTRACTF32X8 $1, Z2, Y25
	VCVTPS2PD     Y25, Z25
	VCVTPS2PD     Y3, Z26
	VEXTRACTF32X8 $1, Z3, Y27
	VCVTPS2PD     Y27, Z27
	TESTQ         AX, AX
	JEQ           s64_wbz
	GWBG(Z20, 0, K1)
	GWBG(Z21, 64, K1)
	GWBG(Z22, 128, K1)
	GWBG(Z23, 192, K1)
	GWBG(Z24, 256, K4)
	GWBG(Z25, 320, K5)
	GWBG(Z26, 384, K6)
	GWBG(Z27, 448, K7)
	JMP           s64_next

s64_wbz:
	GWBZ(Z20, 0, K1)
	GWBZ(Z21, 64, K1)
	GWBZ(Z22, 128, K1)
	GWBZ(Z23, 192, K1)
	GWBZ(Z24, 256, K4)
	GWBZ(Z25, 320, K5)
	GWBZ(Z26, 384, K6)
	GWBZ(Z27, 448, K7)

s64_next:
	ADDQ R8, DI
	ADDQ $4, R10
	DECQ CX
	JNE  s64_row

s64_end:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// AVX2 float32 sparse-row kernel: Gather64s on 8-lane vectors. The strip of
// B holds 64 float32 columns (eight vectors, the accumulators Y0–Y7), idx
// the byte offsets of a float64 strip of 64 columns (halved here), vals
// float32; the write-back widens each accumulator to two float64 vectors:
//
//	C[r, 0:64] = α·float64(acc) + β·C[r, 0:64]   (masked to the columns in use)
//
// func Gather64sx2(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *int64, unit int)
// masks points to sixteen 4-lane mask vectors (int64 −1/0), one per float64
// vector of the row of C.

// Y9 = α, Y10 = β, Y11 = mask, Y12 = C, Y13 = the upper half widened.
// GWB8SG writes the 8 columns of C at byte offset off from the float32
// accumulator acc (xacc: the same register as X): plain loads and stores
// when all 8 are in use (VMASKMOVPD stores are slow on some CPUs, AMD's
// among them), masked ones when some are, nothing when none is (the masks
// are a prefix); part and done are labels unique to the call.
#define GWB8SG(acc, xacc, off, part, done) \
	VEXTRACTF128 $1, acc, X13; \
	VCVTPS2PD X13, Y13; \
	VCVTPS2PD xacc, acc; \
	VMULPD Y9, acc, acc; \
	VMULPD Y9, Y13, Y13; \
	MOVQ (off+56)(AX), R9; \
	TESTQ R9, R9; \
	JEQ part; \
	VFMADD231PD off(DI), Y10, acc; \
	VMOVUPD acc, off(DI); \
	VFMADD231PD (off+32)(DI), Y10, Y13; \
	VMOVUPD Y13, (off+32)(DI); \
	JMP done; \
part: \
	MOVQ off(AX), R9; \
	TESTQ R9, R9; \
	JEQ done; \
	VMOVUPD off(AX), Y11; \
	VMASKMOVPD off(DI), Y11, Y12; \
	VFMADD231PD Y12, Y10, acc; \
	VMASKMOVPD acc, Y11, off(DI); \
	VMOVUPD (off+32)(AX), Y11; \
	VMASKMOVPD (off+32)(DI), Y11, Y12; \
	VFMADD231PD Y12, Y10, Y13; \
	VMASKMOVPD Y13, Y11, (off+32)(DI); \
done:

// GWB8SZ is GWB8SG for β = 0: C is not read.
#define GWB8SZ(acc, xacc, off, part, done) \
	VEXTRACTF128 $1, acc, X13; \
	VCVTPS2PD X13, Y13; \
	VCVTPS2PD xacc, acc; \
	VMULPD Y9, acc, acc; \
	VMULPD Y9, Y13, Y13; \
	MOVQ (off+56)(AX), R9; \
	TESTQ R9, R9; \
	JEQ part; \
	VMOVUPD acc, off(DI); \
	VMOVUPD Y13, (off+32)(DI); \
	JMP done; \
part: \
	MOVQ off(AX), R9; \
	TESTQ R9, R9; \
	JEQ done; \
	VMOVUPD off(AX), Y11; \
	VMASKMOVPD acc, Y11, off(DI); \
	VMOVUPD (off+32)(AX), Y11; \
	VMASKMOVPD Y13, Y11, (off+32)(DI); \
done:

TEXT ·Gather64sx2(SB), NOSPLIT, $0-88
	MOVQ         m+0(FP), CX
	MOVQ         start+8(FP), R10
	MOVQ         idx+16(FP), SI
	MOVQ         vals+24(FP), DX
	MOVQ         b+32(FP), BX
	MOVQ         c+40(FP), DI
	MOVQ         ldc+48(FP), R8
	SHLQ         $3, R8
	VBROADCASTSD alpha+56(FP), Y9
	VBROADCASTSD beta+64(FP), Y10
	MOVQ         masks+72(FP), AX
	MOVQ         unit+80(FP), R11
	MOVQ         beta+64(FP), R15
	SHLQ         $1, R15
	TESTQ        CX, CX
	JEQ          s64x2_end

s64x2_row:
	VXORPS  Y0, Y0, Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	VXORPS  Y4, Y4, Y4
	VXORPS  Y5, Y5, Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7
	MOVLQSX (R10), R13
	MOVLQSX 4(R10), R12
	SUBQ    R13, R12
	JLE     s64x2_wb
	LEAQ    (DX)(R13*4), R14
	LEAQ    (SI)(R13*4), R13
	TESTQ   R11, R11
	JNE     s64x2_unit

s64x2_ent:
	MOVLQSX      (R13), R9
	SHRQ         $1, R9
	VBROADCASTSS (R14), Y8
	VFMADD231PS  (BX)(R9*1), Y8, Y0
	VFMADD231PS  32(BX)(R9*1), Y8, Y1
	VFMADD231PS  64(BX)(R9*1), Y8, Y2
	VFMADD231PS  96(BX)(R9*1), Y8, Y3
	VFMADD231PS  128(BX)(R9*1), Y8, Y4
	VFMADD231PS  160(BX)(R9*1), Y8, Y5
	VFMADD231PS  192(BX)(R9*1), Y8, Y6
	VFMADD231PS  224(BX)(R9*1), Y8, Y7
	ADDQ         $4, R13
	ADDQ         $4, R14
	DECQ         R12
	JNE          s64x2_ent
	JMP          s64x2_wb

s64x2_unit:
	MOVLQSX (R13), R9
	SHRQ    $1, R9
	VADDPS  (BX)(R9*1), Y0, Y0
	VADDPS  32(BX)(R9*1), Y1, Y1
	VADDPS  64(BX)(R9*1), Y2, Y2
	VADDPS  96(BX)(R9*1), Y3, Y3
	VADDPS  128(BX)(R9*1), Y4, Y4
	VADDPS  160(BX)(R9*1), Y5, Y5
	VADDPS  192(BX)(R9*1), Y6, Y6
	VADDPS  224(BX)(R9*1), Y7, Y7
	ADDQ    $4, R13
	DECQ    R12
	JNE     s64x2_unit

s64x2_wb:
	TESTQ R15, R15
	JEQ   s64x2_wbz
	GWB8SG(Y0, X0, 0, s64x2_p0, s64x2_d0)
	GWB8SG(Y1, X1, 64, s64x2_p1, s64x2_d1)
	GWB8SG(Y2, X2, 128, s64x2_p2, s64x2_d2)
	GWB8SG(Y3, X3, 192, s64x2_p3, s64x2_d3)
	GWB8SG(Y4, X4, 256, s64x2_p4, s64x2_d4)
	GWB8SG(Y5, X5, 320, s64x2_p5, s64x2_d5)
	GWB8SG(Y6, X6, 384, s64x2_p6, s64x2_d6)
	GWB8SG(Y7, X7, 448, s64x2_p7, s64x2_d7)
	JMP   s64x2_next

s64x2_wbz:
	GWB8SZ(Y0, X0, 0, s64x2_pz0, s64x2_dz0)
	GWB8SZ(Y1, X1, 64, s64x2_pz1, s64x2_dz1)
	GWB8SZ(Y2, X2, 128, s64x2_pz2, s64x2_dz2)
	GWB8SZ(Y3, X3, 192, s64x2_pz3, s64x2_dz3)
	GWB8SZ(Y4, X4, 256, s64x2_pz4, s64x2_dz4)
	GWB8SZ(Y5, X5, 320, s64x2_pz5, s64x2_dz5)
	GWB8SZ(Y6, X6, 384, s64x2_pz6, s64x2_dz6)
	GWB8SZ(Y7, X7, 448, s64x2_pz7, s64x2_dz7)

s64x2_next:
	ADDQ R8, DI
	ADDQ $4, R10
	DECQ CX
	JNE  s64x2_row

s64x2_end:
	VZEROUPPER
	RET
