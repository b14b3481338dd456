//go:build amd64 && !purego

#include "textflag.h"

// Dense kernels for kernels_amd64.go. Matrices are float64, row-major; byte
// offsets are computed here, element counts come from Go. The AVX-512
// kernels use masked loads and stores for partial tiles; the AVX2 ones use
// VMASKMOVPD with mask vectors prepared by Go.

DATA iota64<>+0(SB)/8, $0
DATA iota64<>+8(SB)/8, $1
DATA iota64<>+16(SB)/8, $2
DATA iota64<>+24(SB)/8, $3
DATA iota64<>+32(SB)/8, $4
DATA iota64<>+40(SB)/8, $5
DATA iota64<>+48(SB)/8, $6
DATA iota64<>+56(SB)/8, $7
GLOBL iota64<>(SB), RODATA|NOPTR, $64

DATA iota32<>+0(SB)/4, $0
DATA iota32<>+4(SB)/4, $1
DATA iota32<>+8(SB)/4, $2
DATA iota32<>+12(SB)/4, $3
DATA iota32<>+16(SB)/4, $4
DATA iota32<>+20(SB)/4, $5
DATA iota32<>+24(SB)/4, $6
DATA iota32<>+28(SB)/4, $7
GLOBL iota32<>(SB), RODATA|NOPTR, $32

DATA one64<>+0(SB)/8, $1.0
GLOBL one64<>(SB), RODATA|NOPTR, $8

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func SpinPause()
TEXT ·SpinPause(SB), NOSPLIT, $0-0
	PAUSE
	RET

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
// AVX2 4×12 GEMM micro-kernel, the same contract as gemm8x24 with 4 rows,
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
// As gather64 for a strip of 32 columns; masks[0:4] are the lane masks of
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
// AVX-512 helpers for the sparse path and packing.

// func CountNZ(n int, x *float64) int
// Returns the number of x[i] ≠ 0 (NaN counts) for i < n.
TEXT ·CountNZ(SB), NOSPLIT, $0-24
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	XORQ   AX, AX
	VPXORQ Z31, Z31, Z31

cnz_loop8:
	CMPQ    CX, $8
	JLT     cnz_tail
	VCMPPD  $4, (SI), Z31, K1
	KMOVW   K1, R9
	POPCNTL R9, R9
	ADDQ    R9, AX
	ADDQ    $64, SI
	SUBQ    $8, CX
	JMP     cnz_loop8

cnz_tail:
	TESTQ   CX, CX
	JEQ     cnz_end
	MOVL    $1, R9
	SHLL    CX, R9
	DECL    R9
	KMOVW   R9, K2
	VMOVUPD.Z (SI), K2, Z0
	VCMPPD  $4, Z0, Z31, K2, K1
	KMOVW   K1, R9
	POPCNTL R9, R9
	ADDQ    R9, AX

cnz_end:
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET

// func CompressNZ(n int, x *float64, stride int, scale int, idx *int32, vals *float64) (cnt int, nonunit int)
//
// Writes the nonzero x[p·stride] (p < n), in order, to vals and p·scale to
// idx; cnt is their number and nonunit ≠ 0 if one of them is not 1. idx and
// vals must have room for cnt+8 elements (whole vectors are stored).
TEXT ·CompressNZ(SB), NOSPLIT, $0-64
	MOVQ          n+0(FP), CX
	MOVQ          x+8(FP), SI
	MOVQ          stride+16(FP), DX
	MOVQ          idx+32(FP), R10
	MOVQ          vals+40(FP), R11
	XORQ          R8, R8
	VPXORQ        Z31, Z31, Z31
	VBROADCASTSD  one64<>(SB), Z30
	VPBROADCASTD  scale+24(FP), Y20
	VMOVDQU32     iota32<>(SB), Y21
	VPMULLD       Y20, Y21, Y21
	VPSLLD        $3, Y20, Y22
	KXORW         K4, K4, K4
	KXNORW        K2, K2, K2
	CMPQ          DX, $1
	JNE           cmp_strided

cmp_loop8:
	CMPQ        CX, $8
	JLT         cmp_tail
	VMOVUPD     (SI), Z0
	ADDQ        $64, SI
	SUBQ        $8, CX

cmp_body:
	VCMPPD      $4, Z31, Z0, K2, K1
	VCOMPRESSPD Z0, K1, Z1
	VPCOMPRESSD Y21, K1, Y2
	VMOVUPD     Z1, (R11)(R8*8)
	VMOVDQU32   Y2, (R10)(R8*4)
	VCMPPD      $4, Z30, Z0, K1, K3
	KORW        K3, K4, K4
	KMOVW       K1, R9
	POPCNTL     R9, R9
	ADDQ        R9, R8
	VPADDD      Y22, Y21, Y21
	JMP         cmp_loop8

cmp_tail:
	TESTQ     CX, CX
	JEQ       cmp_end
	MOVL      $1, R9
	SHLL      CX, R9
	DECL      R9
	KMOVW     R9, K2
	VMOVUPD.Z (SI), K2, Z0
	XORQ      CX, CX
	JMP       cmp_body

cmp_strided:
	// Z23 = [0..7]·stride (element offsets), gathered with scale 8.
	VPBROADCASTQ DX, Z19
	VMOVDQU64    iota64<>(SB), Z23
	VPMULUDQ     Z19, Z23, Z23
	SHLQ         $6, DX           // 8 elements · 8 bytes · stride

cmps_loop8:
	CMPQ        CX, $8
	JLT         cmps_tail
	VPXORQ      Z0, Z0, Z0
	KXNORW      K5, K5, K5
	VGATHERQPD  (SI)(Z23*8), K5, Z0
	ADDQ        DX, SI
	SUBQ        $8, CX

cmps_body:
	VCMPPD      $4, Z31, Z0, K2, K1
	VCOMPRESSPD Z0, K1, Z1
	VPCOMPRESSD Y21, K1, Y2
	VMOVUPD     Z1, (R11)(R8*8)
	VMOVDQU32   Y2, (R10)(R8*4)
	VCMPPD      $4, Z30, Z0, K1, K3
	KORW        K3, K4, K4
	KMOVW       K1, R9
	POPCNTL     R9, R9
	ADDQ        R9, R8
	VPADDD      Y22, Y21, Y21
	JMP         cmps_loop8

cmps_tail:
	TESTQ      CX, CX
	JEQ        cmp_end
	MOVL       $1, R9
	SHLL       CX, R9
	DECL       R9
	KMOVW      R9, K2
	KMOVW      R9, K5
	VPXORQ     Z0, Z0, Z0
	VGATHERQPD (SI)(Z23*8), K5, Z0
	XORQ       CX, CX
	JMP        cmps_body

cmp_end:
	MOVQ  R8, cnt+48(FP)
	KMOVW K4, R9
	MOVQ  R9, nonunit+56(FP)
	VZEROUPPER
	RET

// func PackT8(kc int, src *float64, ld int, rows int, dst *float64, ds int)
//
// dst[p·ds + i] = src[i·ld + p] for p < kc and i < rows ≤ 8; the lanes
// i ≥ rows are set to zero. ds ≥ 8.
TEXT ·PackT8(SB), NOSPLIT, $0-48
	MOVQ         kc+0(FP), CX
	MOVQ         src+8(FP), SI
	MOVQ         ld+16(FP), DX
	MOVQ         rows+24(FP), R8
	MOVQ         dst+32(FP), DI
	MOVQ         ds+40(FP), R10
	SHLQ         $3, R10
	VPBROADCASTQ DX, Z20
	VMOVDQU64    iota64<>(SB), Z23
	VPMULUDQ     Z20, Z23, Z23
	MOVQ         CX, R11
	MOVQ         R8, CX
	MOVL         $1, R9
	SHLL         CX, R9
	DECL         R9
	MOVQ         R11, CX
	TESTQ        CX, CX
	JEQ          pt8_end
	CMPQ         R9, $255
	JNE          pt8_loop1
	CMPQ         CX, $2
	JLT          pt8_loop1

pt8_loop2:
	VPXORQ     Z0, Z0, Z0
	VPXORQ     Z1, Z1, Z1
	KMOVW      R9, K1
	KMOVW      R9, K2
	VGATHERQPD (SI)(Z23*8), K1, Z0
	VGATHERQPD 8(SI)(Z23*8), K2, Z1
	VMOVUPD    Z0, (DI)
	VMOVUPD    Z1, (DI)(R10*1)
	ADDQ       $16, SI
	LEAQ       (DI)(R10*2), DI
	SUBQ       $2, CX
	CMPQ       CX, $2
	JGE        pt8_loop2
	TESTQ      CX, CX
	JEQ        pt8_end

pt8_loop1:
	VPXORQ     Z0, Z0, Z0
	KMOVW      R9, K1
	VGATHERQPD (SI)(Z23*8), K1, Z0
	VMOVUPD    Z0, (DI)
	ADDQ       $8, SI
	ADDQ       R10, DI
	DECQ       CX
	JNE        pt8_loop1

pt8_end:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Row combinations for AddRows and Gemv.
//
// func Axpy8(n int, y, a *float64, offs *int64, coef *float64)
// y[j] += Σ_{t<8} coef[t]·a[offs[t]/8 + j] for j < n (offs in bytes).
TEXT ·Axpy8(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), CX
	MOVQ         y+8(FP), DI
	MOVQ         a+16(FP), SI
	MOVQ         offs+24(FP), AX
	MOVQ         coef+32(FP), DX
	MOVQ         (AX), R8
	MOVQ         8(AX), R9
	MOVQ         16(AX), R10
	MOVQ         24(AX), R11
	MOVQ         32(AX), R12
	MOVQ         40(AX), R13
	MOVQ         48(AX), R14
	MOVQ         56(AX), BX
	VBROADCASTSD (DX), Z16
	VBROADCASTSD 8(DX), Z17
	VBROADCASTSD 16(DX), Z18
	VBROADCASTSD 24(DX), Z19
	VBROADCASTSD 32(DX), Z20
	VBROADCASTSD 40(DX), Z21
	VBROADCASTSD 48(DX), Z22
	VBROADCASTSD 56(DX), Z23

ax8_loop16:
	CMPQ        CX, $16
	JLT         ax8_tail
	VMOVUPD     (DI), Z0
	VMOVUPD     64(DI), Z1
	VMULPD      (SI)(R8*1), Z16, Z2
	VMULPD      64(SI)(R8*1), Z16, Z3
	VFMADD231PD (SI)(R9*1), Z17, Z0
	VFMADD231PD 64(SI)(R9*1), Z17, Z1
	VFMADD231PD (SI)(R10*1), Z18, Z2
	VFMADD231PD 64(SI)(R10*1), Z18, Z3
	VFMADD231PD (SI)(R11*1), Z19, Z0
	VFMADD231PD 64(SI)(R11*1), Z19, Z1
	VFMADD231PD (SI)(R12*1), Z20, Z2
	VFMADD231PD 64(SI)(R12*1), Z20, Z3
	VFMADD231PD (SI)(R13*1), Z21, Z0
	VFMADD231PD 64(SI)(R13*1), Z21, Z1
	VFMADD231PD (SI)(R14*1), Z22, Z2
	VFMADD231PD 64(SI)(R14*1), Z22, Z3
	VFMADD231PD (SI)(BX*1), Z23, Z0
	VFMADD231PD 64(SI)(BX*1), Z23, Z1
	VADDPD      Z2, Z0, Z0
	VADDPD      Z3, Z1, Z1
	VMOVUPD     Z0, (DI)
	VMOVUPD     Z1, 64(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $16, CX
	JMP         ax8_loop16

ax8_tail:
	TESTQ       CX, CX
	JEQ         ax8_end
	CMPQ        CX, $8
	JLT         ax8_mask
	MOVL        $255, AX
	JMP         ax8_one

ax8_mask:
	MOVL        $1, AX
	SHLL        CX, AX
	DECL        AX

ax8_one:
	KMOVW       AX, K1
	VMOVUPD.Z   (DI), K1, Z0
	VMOVUPD.Z   (SI)(R8*1), K1, Z2
	VMULPD      Z2, Z16, Z2
	VMOVUPD.Z   (SI)(R9*1), K1, Z3
	VFMADD231PD Z3, Z17, Z0
	VMOVUPD.Z   (SI)(R10*1), K1, Z3
	VFMADD231PD Z3, Z18, Z2
	VMOVUPD.Z   (SI)(R11*1), K1, Z3
	VFMADD231PD Z3, Z19, Z0
	VMOVUPD.Z   (SI)(R12*1), K1, Z3
	VFMADD231PD Z3, Z20, Z2
	VMOVUPD.Z   (SI)(R13*1), K1, Z3
	VFMADD231PD Z3, Z21, Z0
	VMOVUPD.Z   (SI)(R14*1), K1, Z3
	VFMADD231PD Z3, Z22, Z2
	VMOVUPD.Z   (SI)(BX*1), K1, Z3
	VFMADD231PD Z3, Z23, Z0
	VADDPD      Z2, Z0, Z0
	VMOVUPD     Z0, K1, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $8, CX
	JG          ax8_tail

ax8_end:
	VZEROUPPER
	RET

// func Axpy8x2(n int, y, a *float64, offs *int64, coef *float64)
// AVX2 version of axpy8 for n a multiple of 4.
TEXT ·Axpy8x2(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), CX
	MOVQ         y+8(FP), DI
	MOVQ         a+16(FP), SI
	MOVQ         offs+24(FP), AX
	MOVQ         coef+32(FP), DX
	MOVQ         (AX), R8
	MOVQ         8(AX), R9
	MOVQ         16(AX), R10
	MOVQ         24(AX), R11
	MOVQ         32(AX), R12
	MOVQ         40(AX), R13
	MOVQ         48(AX), R14
	MOVQ         56(AX), BX
	VBROADCASTSD (DX), Y8
	VBROADCASTSD 8(DX), Y9
	VBROADCASTSD 16(DX), Y10
	VBROADCASTSD 24(DX), Y11
	VBROADCASTSD 32(DX), Y12
	VBROADCASTSD 40(DX), Y13
	VBROADCASTSD 48(DX), Y14
	VBROADCASTSD 56(DX), Y15

ax8x2_loop:
	CMPQ        CX, $4
	JLT         ax8x2_end
	VMOVUPD     (DI), Y0
	VMULPD      (SI)(R8*1), Y8, Y1
	VFMADD231PD (SI)(R9*1), Y9, Y0
	VFMADD231PD (SI)(R10*1), Y10, Y1
	VFMADD231PD (SI)(R11*1), Y11, Y0
	VFMADD231PD (SI)(R12*1), Y12, Y1
	VFMADD231PD (SI)(R13*1), Y13, Y0
	VFMADD231PD (SI)(R14*1), Y14, Y1
	VFMADD231PD (SI)(BX*1), Y15, Y0
	VADDPD      Y1, Y0, Y0
	VMOVUPD     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $4, CX
	JMP         ax8x2_loop

ax8x2_end:
	VZEROUPPER
	RET

// func dot4(n int, a *float64, lda int, x *float64, out *float64)
// out[t] = Σ_{j<n} a[t·lda + j]·x[j] for t < 4.
TEXT ·dot4(SB), NOSPLIT, $0-40
	MOVQ   n+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   lda+16(FP), DX
	SHLQ   $3, DX
	MOVQ   x+24(FP), DI
	LEAQ   (SI)(DX*1), R8
	LEAQ   (R8)(DX*1), R9
	LEAQ   (R9)(DX*1), R10
	XORQ   AX, AX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7

d4_loop16:
	CMPQ        CX, $16
	JLT         d4_tail
	VMOVUPD     (DI)(AX*1), Z16
	VMOVUPD     64(DI)(AX*1), Z17
	VFMADD231PD (SI)(AX*1), Z16, Z0
	VFMADD231PD 64(SI)(AX*1), Z17, Z1
	VFMADD231PD (R8)(AX*1), Z16, Z2
	VFMADD231PD 64(R8)(AX*1), Z17, Z3
	VFMADD231PD (R9)(AX*1), Z16, Z4
	VFMADD231PD 64(R9)(AX*1), Z17, Z5
	VFMADD231PD (R10)(AX*1), Z16, Z6
	VFMADD231PD 64(R10)(AX*1), Z17, Z7
	ADDQ        $128, AX
	SUBQ        $16, CX
	JMP         d4_loop16

d4_tail:
	TESTQ       CX, CX
	JEQ         d4_red
	CMPQ        CX, $8
	JLT         d4_mask
	MOVL        $255, R11
	JMP         d4_one

d4_mask:
	MOVL        $1, R11
	SHLL        CX, R11
	DECL        R11

d4_one:
	KMOVW       R11, K1
	VMOVUPD.Z   (DI)(AX*1), K1, Z16
	VMOVUPD.Z   (SI)(AX*1), K1, Z17
	VFMADD231PD Z17, Z16, Z0
	VMOVUPD.Z   (R8)(AX*1), K1, Z17
	VFMADD231PD Z17, Z16, Z2
	VMOVUPD.Z   (R9)(AX*1), K1, Z17
	VFMADD231PD Z17, Z16, Z4
	VMOVUPD.Z   (R10)(AX*1), K1, Z17
	VFMADD231PD Z17, Z16, Z6
	ADDQ        $64, AX
	SUBQ        $8, CX
	JG          d4_tail

d4_red:
	MOVQ          out+32(FP), DI
	VADDPD        Z1, Z0, Z0
	VADDPD        Z3, Z2, Z2
	VADDPD        Z5, Z4, Z4
	VADDPD        Z7, Z6, Z6
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD        Y1, Y0, Y0
	VEXTRACTF64X4 $1, Z2, Y3
	VADDPD        Y3, Y2, Y2
	VEXTRACTF64X4 $1, Z4, Y5
	VADDPD        Y5, Y4, Y4
	VEXTRACTF64X4 $1, Z6, Y7
	VADDPD        Y7, Y6, Y6
	// Y0 = r0 (4 lanes), Y2 = r1, Y4 = r2, Y6 = r3.
	VHADDPD       Y2, Y0, Y0    // [r0a+r0b, r1a+r1b, r0c+r0d, r1c+r1d]
	VHADDPD       Y6, Y4, Y4    // same for r2, r3
	VPERM2F128    $0x20, Y4, Y0, Y1 // low halves: [r0(ab), r1(ab), r2(ab), r3(ab)]
	VPERM2F128    $0x31, Y4, Y0, Y2 // high halves
	VADDPD        Y2, Y1, Y1
	VMOVUPD       Y1, (DI)
	VZEROUPPER
	RET

// func dot4x2(n int, a *float64, lda int, x *float64, out *float64)
// AVX2 version of dot4 for n a multiple of 4.
TEXT ·dot4x2(SB), NOSPLIT, $0-40
	MOVQ   n+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   lda+16(FP), DX
	SHLQ   $3, DX
	MOVQ   x+24(FP), DI
	LEAQ   (SI)(DX*1), R8
	LEAQ   (R8)(DX*1), R9
	LEAQ   (R9)(DX*1), R10
	XORQ   AX, AX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

d4x2_loop8:
	CMPQ        CX, $8
	JLT         d4x2_loop4
	VMOVUPD     (DI)(AX*1), Y8
	VMOVUPD     32(DI)(AX*1), Y9
	VFMADD231PD (SI)(AX*1), Y8, Y0
	VFMADD231PD 32(SI)(AX*1), Y9, Y1
	VFMADD231PD (R8)(AX*1), Y8, Y2
	VFMADD231PD 32(R8)(AX*1), Y9, Y3
	VFMADD231PD (R9)(AX*1), Y8, Y4
	VFMADD231PD 32(R9)(AX*1), Y9, Y5
	VFMADD231PD (R10)(AX*1), Y8, Y6
	VFMADD231PD 32(R10)(AX*1), Y9, Y7
	ADDQ        $64, AX
	SUBQ        $8, CX
	JMP         d4x2_loop8

d4x2_loop4:
	CMPQ        CX, $4
	JLT         d4x2_red
	VMOVUPD     (DI)(AX*1), Y8
	VFMADD231PD (SI)(AX*1), Y8, Y0
	VFMADD231PD (R8)(AX*1), Y8, Y2
	VFMADD231PD (R9)(AX*1), Y8, Y4
	VFMADD231PD (R10)(AX*1), Y8, Y6
	ADDQ        $32, AX
	SUBQ        $4, CX

d4x2_red:
	MOVQ       out+32(FP), DI
	VADDPD     Y1, Y0, Y0
	VADDPD     Y3, Y2, Y2
	VADDPD     Y5, Y4, Y4
	VADDPD     Y7, Y6, Y6
	VHADDPD    Y2, Y0, Y0
	VHADDPD    Y6, Y4, Y4
	VPERM2F128 $0x20, Y4, Y0, Y1
	VPERM2F128 $0x31, Y4, Y0, Y2
	VADDPD     Y2, Y1, Y1
	VMOVUPD    Y1, (DI)
	VZEROUPPER
	RET

// func PackT8x8(kc int, src *float64, ld int, dst *float64, ds int)
//
// dst[p·ds + i] = src[i·ld + p] for p < kc (a multiple of 8) and i < 8:
// 8×8 blocks transposed in registers.
TEXT ·PackT8x8(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), DX
	SHLQ $3, DX
	LEAQ (DX)(DX*2), R9
	LEAQ (SI)(DX*4), R8
	MOVQ dst+24(FP), DI
	MOVQ ds+32(FP), R10
	SHLQ $3, R10
	LEAQ (R10)(R10*2), R11
	SHRQ $3, CX
	JEQ  ptt_end

ptt_loop:
	VMOVUPD    (SI), Z0
	VMOVUPD    (SI)(DX*1), Z1
	VMOVUPD    (SI)(DX*2), Z2
	VMOVUPD    (SI)(R9*1), Z3
	VMOVUPD    (R8), Z4
	VMOVUPD    (R8)(DX*1), Z5
	VMOVUPD    (R8)(DX*2), Z6
	VMOVUPD    (R8)(R9*1), Z7
	VUNPCKLPD  Z1, Z0, Z8
	VUNPCKHPD  Z1, Z0, Z9
	VUNPCKLPD  Z3, Z2, Z10
	VUNPCKHPD  Z3, Z2, Z11
	VUNPCKLPD  Z5, Z4, Z12
	VUNPCKHPD  Z5, Z4, Z13
	VUNPCKLPD  Z7, Z6, Z14
	VUNPCKHPD  Z7, Z6, Z15
	VSHUFF64X2 $0x88, Z10, Z8, Z16
	VSHUFF64X2 $0xDD, Z10, Z8, Z17
	VSHUFF64X2 $0x88, Z11, Z9, Z18
	VSHUFF64X2 $0xDD, Z11, Z9, Z19
	VSHUFF64X2 $0x88, Z14, Z12, Z20
	VSHUFF64X2 $0xDD, Z14, Z12, Z21
	VSHUFF64X2 $0x88, Z15, Z13, Z22
	VSHUFF64X2 $0xDD, Z15, Z13, Z23
	VSHUFF64X2 $0x88, Z20, Z16, Z0
	VSHUFF64X2 $0xDD, Z20, Z16, Z4
	VSHUFF64X2 $0x88, Z21, Z17, Z2
	VSHUFF64X2 $0xDD, Z21, Z17, Z6
	VSHUFF64X2 $0x88, Z22, Z18, Z1
	VSHUFF64X2 $0xDD, Z22, Z18, Z5
	VSHUFF64X2 $0x88, Z23, Z19, Z3
	VSHUFF64X2 $0xDD, Z23, Z19, Z7
	LEAQ       (DI)(R10*4), R12
	VMOVUPD    Z0, (DI)
	VMOVUPD    Z1, (DI)(R10*1)
	VMOVUPD    Z2, (DI)(R10*2)
	VMOVUPD    Z3, (DI)(R11*1)
	VMOVUPD    Z4, (R12)
	VMOVUPD    Z5, (R12)(R10*1)
	VMOVUPD    Z6, (R12)(R10*2)
	VMOVUPD    Z7, (R12)(R11*1)
	LEAQ       (R12)(R10*4), DI
	ADDQ       $64, SI
	ADDQ       $64, R8
	DECQ       CX
	JNE        ptt_loop

ptt_end:
	VZEROUPPER
	RET

// func PackT4x4(kc int, src *float64, ld int, dst *float64, ds int)
//
// dst[p·ds + i] = src[i·ld + p] for p < kc (a multiple of 4) and i < 4:
// AVX2 4×4 transposes.
TEXT ·PackT4x4(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), DX
	SHLQ $3, DX
	LEAQ (DX)(DX*2), R9
	MOVQ dst+24(FP), DI
	MOVQ ds+32(FP), R10
	SHLQ $3, R10
	LEAQ (R10)(R10*2), R11
	SHRQ $2, CX
	JEQ  p44_end

p44_loop:
	VMOVUPD    (SI), Y0
	VMOVUPD    (SI)(DX*1), Y1
	VMOVUPD    (SI)(DX*2), Y2
	VMOVUPD    (SI)(R9*1), Y3
	VUNPCKLPD  Y1, Y0, Y4
	VUNPCKHPD  Y1, Y0, Y5
	VUNPCKLPD  Y3, Y2, Y6
	VUNPCKHPD  Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y0
	VPERM2F128 $0x20, Y7, Y5, Y1
	VPERM2F128 $0x31, Y6, Y4, Y2
	VPERM2F128 $0x31, Y7, Y5, Y3
	VMOVUPD    Y0, (DI)
	VMOVUPD    Y1, (DI)(R10*1)
	VMOVUPD    Y2, (DI)(R10*2)
	VMOVUPD    Y3, (DI)(R11*1)
	LEAQ       (DI)(R10*4), DI
	ADDQ       $32, SI
	DECQ       CX
	JNE        p44_loop

p44_end:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// Float32 sparse-row kernel (Workspace.SetFloat32). As gather64, but the
// strip of B holds float32 values (64 per row, idx in bytes of float32
// rows), vals are float32, and the sums are accumulated in float32; the
// write-back converts them to float64:
//
//	C[r, 0:64] = α·float64(acc) + β·C[r, 0:64]   (masked to the columns in use)
//
// idx holds the byte offsets of the float64 strip (as for gather64), halved
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

// func Axpy8s(n int, y, a *float32, offs *int64, coef *float32)
//
// y[j] += Σ_{t<8} coef[t]·a[offs[t]/4 + j] for j < n (offs in bytes), in
// float32: axpy8 on sixteen lanes.
TEXT ·Axpy8s(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), CX
	MOVQ         y+8(FP), DI
	MOVQ         a+16(FP), SI
	MOVQ         offs+24(FP), AX
	MOVQ         coef+32(FP), DX
	MOVQ         (AX), R8
	MOVQ         8(AX), R9
	MOVQ         16(AX), R10
	MOVQ         24(AX), R11
	MOVQ         32(AX), R12
	MOVQ         40(AX), R13
	MOVQ         48(AX), R14
	MOVQ         56(AX), BX
	VBROADCASTSS (DX), Z16
	VBROADCASTSS 4(DX), Z17
	VBROADCASTSS 8(DX), Z18
	VBROADCASTSS 12(DX), Z19
	VBROADCASTSS 16(DX), Z20
	VBROADCASTSS 20(DX), Z21
	VBROADCASTSS 24(DX), Z22
	VBROADCASTSS 28(DX), Z23

ax8s_loop32:
	CMPQ        CX, $32
	JLT         ax8s_tail
	VMOVUPS     (DI), Z0
	VMOVUPS     64(DI), Z1
	VMULPS      (SI)(R8*1), Z16, Z2
	VMULPS      64(SI)(R8*1), Z16, Z3
	VFMADD231PS (SI)(R9*1), Z17, Z0
	VFMADD231PS 64(SI)(R9*1), Z17, Z1
	VFMADD231PS (SI)(R10*1), Z18, Z2
	VFMADD231PS 64(SI)(R10*1), Z18, Z3
	VFMADD231PS (SI)(R11*1), Z19, Z0
	VFMADD231PS 64(SI)(R11*1), Z19, Z1
	VFMADD231PS (SI)(R12*1), Z20, Z2
	VFMADD231PS 64(SI)(R12*1), Z20, Z3
	VFMADD231PS (SI)(R13*1), Z21, Z0
	VFMADD231PS 64(SI)(R13*1), Z21, Z1
	VFMADD231PS (SI)(R14*1), Z22, Z2
	VFMADD231PS 64(SI)(R14*1), Z22, Z3
	VFMADD231PS (SI)(BX*1), Z23, Z0
	VFMADD231PS 64(SI)(BX*1), Z23, Z1
	VADDPS      Z2, Z0, Z0
	VADDPS      Z3, Z1, Z1
	VMOVUPS     Z0, (DI)
	VMOVUPS     Z1, 64(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         ax8s_loop32

ax8s_tail:
	TESTQ       CX, CX
	JEQ         ax8s_end
	CMPQ        CX, $16
	JLT         ax8s_mask
	MOVL        $0xffff, AX
	JMP         ax8s_one

ax8s_mask:
	MOVL        $1, AX
	SHLL        CX, AX
	DECL        AX

ax8s_one:
	KMOVW       AX, K1
	VMOVUPS.Z   (DI), K1, Z0
	VMOVUPS.Z   (SI)(R8*1), K1, Z2
	VMULPS      Z2, Z16, Z2
	VMOVUPS.Z   (SI)(R9*1), K1, Z3
	VFMADD231PS Z3, Z17, Z0
	VMOVUPS.Z   (SI)(R10*1), K1, Z3
	VFMADD231PS Z3, Z18, Z2
	VMOVUPS.Z   (SI)(R11*1), K1, Z3
	VFMADD231PS Z3, Z19, Z0
	VMOVUPS.Z   (SI)(R12*1), K1, Z3
	VFMADD231PS Z3, Z20, Z2
	VMOVUPS.Z   (SI)(R13*1), K1, Z3
	VFMADD231PS Z3, Z21, Z0
	VMOVUPS.Z   (SI)(R14*1), K1, Z3
	VFMADD231PS Z3, Z22, Z2
	VMOVUPS.Z   (SI)(BX*1), K1, Z3
	VFMADD231PS Z3, Z23, Z0
	VADDPS      Z2, Z0, Z0
	VMOVUPS     Z0, K1, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JG          ax8s_tail

ax8s_end:
	VZEROUPPER
	RET

DATA bern8C<>+0(SB)/8, $0x3ca0000000000000 // 2⁻⁵³
DATA bern8C<>+8(SB)/8, $1.0
GLOBL bern8C<>(SB), RODATA|NOPTR, $16

// func BernoulliRows8(n int, rngs *[4]uint64, x *float64, stride int)
//
// Eight rows of n probabilities, row l at x + l·stride elements with the
// xoshiro256** generator rngs[l], one row per lane: each probability p is
// replaced by 1 if the lane's next uniform U = ⌊b/2¹¹⌋·2⁻⁵³ is below p and
// by 0 otherwise — RNG.Bernoullis on every row. The states are gathered
// into Z0–Z3 (s0…s3) and scattered back at the end.
TEXT ·BernoulliRows8(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	MOVQ         rngs+8(FP), SI
	MOVQ         x+16(FP), DI
	MOVQ         stride+24(FP), DX
	VMOVDQU64    iota64<>(SB), Z20
	VPSLLQ       $5, Z20, Z22 // byte offsets of the eight states
	SHLQ         $3, DX
	VPBROADCASTQ DX, Z23
	VPMULLQ      Z23, Z20, Z21 // byte offsets of the eight rows
	VBROADCASTSD bern8C<>+0(SB), Z24
	VBROADCASTSD bern8C<>+8(SB), Z25
	KXNORB       K1, K1, K1
	VPGATHERQQ   (SI)(Z22*1), K1, Z0
	KXNORB       K1, K1, K1
	VPGATHERQQ   8(SI)(Z22*1), K1, Z1
	KXNORB       K1, K1, K1
	VPGATHERQQ   16(SI)(Z22*1), K1, Z2
	KXNORB       K1, K1, K1
	VPGATHERQQ   24(SI)(Z22*1), K1, Z3
	TESTQ        CX, CX
	JEQ          b8_store

b8_loop:
	KXNORB      K2, K2, K2
	VGATHERQPD  (DI)(Z21*1), K2, Z6
	VPSLLQ      $2, Z1, Z4
	VPADDQ      Z1, Z4, Z4 // s1·5
	VPROLQ      $7, Z4, Z4
	VPSLLQ      $3, Z4, Z5
	VPADDQ      Z4, Z5, Z4 // ·9
	VPSLLQ      $17, Z1, Z5 // t
	VPXORQ      Z0, Z2, Z2 // s2 ^= s0
	VPXORQ      Z1, Z3, Z3 // s3 ^= s1
	VPXORQ      Z2, Z1, Z1 // s1 ^= s2
	VPXORQ      Z3, Z0, Z0 // s0 ^= s3
	VPXORQ      Z5, Z2, Z2 // s2 ^= t
	VPROLQ      $45, Z3, Z3
	VPSRLQ      $11, Z4, Z4
	VCVTUQQ2PD  Z4, Z4
	VMULPD      Z24, Z4, Z4 // U
	VCMPPD      $1, Z6, Z4, K3 // U < p
	VMOVAPD.Z   Z25, K3, Z7
	KXNORB      K2, K2, K2
	VSCATTERQPD Z7, K2, (DI)(Z21*1)
	ADDQ        $8, DI
	DECQ        CX
	JNE         b8_loop

b8_store:
	KXNORB      K1, K1, K1
	VPSCATTERQQ Z0, K1, (SI)(Z22*1)
	KXNORB      K1, K1, K1
	VPSCATTERQQ Z1, K1, 8(SI)(Z22*1)
	KXNORB      K1, K1, K1
	VPSCATTERQQ Z2, K1, 16(SI)(Z22*1)
	KXNORB      K1, K1, K1
	VPSCATTERQQ Z3, K1, 24(SI)(Z22*1)
	VZEROUPPER
	RET

// func AxpyUnitary(n int, alpha float64, x, y *float64)
//
// y[i] += α·x[i] for i < n, sixteen per pass (AVX-512), the tail masked.
TEXT ·AxpyUnitary(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSD alpha+8(FP), Z16
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI

axu_loop16:
	CMPQ        CX, $16
	JLT         axu_tail
	VMOVUPD     (DI), Z0
	VMOVUPD     64(DI), Z1
	VFMADD231PD (SI), Z16, Z0
	VFMADD231PD 64(SI), Z16, Z1
	VMOVUPD     Z0, (DI)
	VMOVUPD     Z1, 64(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $16, CX
	JMP         axu_loop16

axu_tail:
	TESTQ       CX, CX
	JEQ         axu_end
	CMPQ        CX, $8
	JLT         axu_mask
	MOVL        $255, AX
	JMP         axu_one

axu_mask:
	MOVL        $1, AX
	SHLL        CX, AX
	DECL        AX

axu_one:
	KMOVW       AX, K1
	VMOVUPD.Z   (DI), K1, Z0
	VMOVUPD.Z   (SI), K1, Z2
	VFMADD231PD Z2, Z16, Z0
	VMOVUPD     Z0, K1, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $8, CX
	JG          axu_tail

axu_end:
	VZEROUPPER
	RET
