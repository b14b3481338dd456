//go:build amd64 && !purego

#include "textflag.h"

// Packing (transposing) panels of A for the GEMM micro-kernels. Stubs in
// kernels_amd64.go.
//
// Matrices are float64, row-major; byte offsets are computed here, element
// counts come from Go. The AVX-512 kernels use masked loads and stores for
// partial tiles; the AVX2 ones use VMASKMOVPD with mask vectors prepared by
// Go.

DATA iota64<>+0(SB)/8, $0
DATA iota64<>+8(SB)/8, $1
DATA iota64<>+16(SB)/8, $2
DATA iota64<>+24(SB)/8, $3
DATA iota64<>+32(SB)/8, $4
DATA iota64<>+40(SB)/8, $5
DATA iota64<>+48(SB)/8, $6
DATA iota64<>+56(SB)/8, $7
GLOBL iota64<>(SB), RODATA|NOPTR, $64

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

// func PackT4x4s(kc int, src *float64, ld int, dst *float32, ds int)
//
// dst[p·ds + i] = float32(src[i·ld + p]) for p < kc (a multiple of 4) and
// i < 4, rounding to nearest: PackT4x4 packing straight into float32 (AVX2;
// each row's 4 values narrowed, then a 4×4 float32 transpose).
TEXT ·PackT4x4s(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), DX
	SHLQ $3, DX
	LEAQ (DX)(DX*2), R9
	MOVQ dst+24(FP), DI
	MOVQ ds+32(FP), R10
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R11
	SHRQ $2, CX
	JEQ  p44s_end

p44s_loop:
	VCVTPD2PSY (SI), X0
	VCVTPD2PSY (SI)(DX*1), X1
	VCVTPD2PSY (SI)(DX*2), X2
	VCVTPD2PSY (SI)(R9*1), X3
	VUNPCKLPS  X1, X0, X4
	VUNPCKHPS  X1, X0, X5
	VUNPCKLPS  X3, X2, X6
	VUNPCKHPS  X3, X2, X7
	VUNPCKLPD  X6, X4, X0
	VUNPCKHPD  X6, X4, X1
	VUNPCKLPD  X7, X5, X2
	VUNPCKHPD  X7, X5, X3
	VMOVUPS    X0, (DI)
	VMOVUPS    X1, (DI)(R10*1)
	VMOVUPS    X2, (DI)(R10*2)
	VMOVUPS    X3, (DI)(R11*1)
	LEAQ       (DI)(R10*4), DI
	ADDQ       $32, SI
	DECQ       CX
	JNE        p44s_loop

p44s_end:
	VZEROUPPER
	RET

// func NarrowRows4(rows, n4 int, src *float64, ld int, dst *float32, ds int)
//
// dst[r·ds + j] = float32(src[r·ld + j]) for r < rows and j < 4·n4,
// rounding to nearest (AVX2): rows of a matrix narrowed into a packed
// panel, 4 values at a time.
TEXT ·NarrowRows4(SB), NOSPLIT, $0-48
	MOVQ  rows+0(FP), CX
	MOVQ  n4+8(FP), R8
	MOVQ  src+16(FP), SI
	MOVQ  ld+24(FP), DX
	SHLQ  $3, DX
	MOVQ  dst+32(FP), DI
	MOVQ  ds+40(FP), R9
	SHLQ  $2, R9
	TESTQ CX, CX
	JEQ   nr4_end
	TESTQ R8, R8
	JEQ   nr4_end

nr4_row:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ R8, BX

nr4_grp:
	VCVTPD2PSY (R10), X0
	VMOVUPS    X0, (R11)
	ADDQ       $32, R10
	ADDQ       $16, R11
	DECQ       BX
	JNE        nr4_grp
	ADDQ       DX, SI
	ADDQ       R9, DI
	DECQ       CX
	JNE        nr4_row

nr4_end:
	VZEROUPPER
	RET
