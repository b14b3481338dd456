//go:build amd64 && !purego

#include "textflag.h"

// Counting and compressing the nonzeros of a vector. Stubs in
// kernels_amd64.go.

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
