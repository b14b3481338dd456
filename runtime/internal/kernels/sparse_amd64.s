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

// ---------------------------------------------------------------------------
// AVX2 counterparts. AVX2 has no VCOMPRESSPD: a compare and VMOVMSKPD give
// a 4-bit mask of the nonzero lanes, and the mask picks, from the tables
// below, the permutations that move those lanes to the front.

// compresspd<>[m] (m < 16, 32 bytes each): VPERMD indices that move the
// doubles of the lanes set in m, in order, to the front (lane k is the
// 32-bit pair 2k, 2k+1); unused lanes repeat lane 0.
DATA compresspd<>+0(SB)/8, $0x0000000100000000
DATA compresspd<>+8(SB)/8, $0x0000000100000000
DATA compresspd<>+16(SB)/8, $0x0000000100000000
DATA compresspd<>+24(SB)/8, $0x0000000100000000
DATA compresspd<>+32(SB)/8, $0x0000000100000000
DATA compresspd<>+40(SB)/8, $0x0000000100000000
DATA compresspd<>+48(SB)/8, $0x0000000100000000
DATA compresspd<>+56(SB)/8, $0x0000000100000000
DATA compresspd<>+64(SB)/8, $0x0000000300000002
DATA compresspd<>+72(SB)/8, $0x0000000100000000
DATA compresspd<>+80(SB)/8, $0x0000000100000000
DATA compresspd<>+88(SB)/8, $0x0000000100000000
DATA compresspd<>+96(SB)/8, $0x0000000100000000
DATA compresspd<>+104(SB)/8, $0x0000000300000002
DATA compresspd<>+112(SB)/8, $0x0000000100000000
DATA compresspd<>+120(SB)/8, $0x0000000100000000
DATA compresspd<>+128(SB)/8, $0x0000000500000004
DATA compresspd<>+136(SB)/8, $0x0000000100000000
DATA compresspd<>+144(SB)/8, $0x0000000100000000
DATA compresspd<>+152(SB)/8, $0x0000000100000000
DATA compresspd<>+160(SB)/8, $0x0000000100000000
DATA compresspd<>+168(SB)/8, $0x0000000500000004
DATA compresspd<>+176(SB)/8, $0x0000000100000000
DATA compresspd<>+184(SB)/8, $0x0000000100000000
DATA compresspd<>+192(SB)/8, $0x0000000300000002
DATA compresspd<>+200(SB)/8, $0x0000000500000004
DATA compresspd<>+208(SB)/8, $0x0000000100000000
DATA compresspd<>+216(SB)/8, $0x0000000100000000
DATA compresspd<>+224(SB)/8, $0x0000000100000000
DATA compresspd<>+232(SB)/8, $0x0000000300000002
DATA compresspd<>+240(SB)/8, $0x0000000500000004
DATA compresspd<>+248(SB)/8, $0x0000000100000000
DATA compresspd<>+256(SB)/8, $0x0000000700000006
DATA compresspd<>+264(SB)/8, $0x0000000100000000
DATA compresspd<>+272(SB)/8, $0x0000000100000000
DATA compresspd<>+280(SB)/8, $0x0000000100000000
DATA compresspd<>+288(SB)/8, $0x0000000100000000
DATA compresspd<>+296(SB)/8, $0x0000000700000006
DATA compresspd<>+304(SB)/8, $0x0000000100000000
DATA compresspd<>+312(SB)/8, $0x0000000100000000
DATA compresspd<>+320(SB)/8, $0x0000000300000002
DATA compresspd<>+328(SB)/8, $0x0000000700000006
DATA compresspd<>+336(SB)/8, $0x0000000100000000
DATA compresspd<>+344(SB)/8, $0x0000000100000000
DATA compresspd<>+352(SB)/8, $0x0000000100000000
DATA compresspd<>+360(SB)/8, $0x0000000300000002
DATA compresspd<>+368(SB)/8, $0x0000000700000006
DATA compresspd<>+376(SB)/8, $0x0000000100000000
DATA compresspd<>+384(SB)/8, $0x0000000500000004
DATA compresspd<>+392(SB)/8, $0x0000000700000006
DATA compresspd<>+400(SB)/8, $0x0000000100000000
DATA compresspd<>+408(SB)/8, $0x0000000100000000
DATA compresspd<>+416(SB)/8, $0x0000000100000000
DATA compresspd<>+424(SB)/8, $0x0000000500000004
DATA compresspd<>+432(SB)/8, $0x0000000700000006
DATA compresspd<>+440(SB)/8, $0x0000000100000000
DATA compresspd<>+448(SB)/8, $0x0000000300000002
DATA compresspd<>+456(SB)/8, $0x0000000500000004
DATA compresspd<>+464(SB)/8, $0x0000000700000006
DATA compresspd<>+472(SB)/8, $0x0000000100000000
DATA compresspd<>+480(SB)/8, $0x0000000100000000
DATA compresspd<>+488(SB)/8, $0x0000000300000002
DATA compresspd<>+496(SB)/8, $0x0000000500000004
DATA compresspd<>+504(SB)/8, $0x0000000700000006
GLOBL compresspd<>(SB), RODATA|NOPTR, $512

// compressd<>[m] (m < 16, 16 bytes each): VPERMILPS indices that move the
// 32-bit lanes set in m, in order, to the front.
DATA compressd<>+0(SB)/8, $0x0000000000000000
DATA compressd<>+8(SB)/8, $0x0000000000000000
DATA compressd<>+16(SB)/8, $0x0000000000000000
DATA compressd<>+24(SB)/8, $0x0000000000000000
DATA compressd<>+32(SB)/8, $0x0000000000000001
DATA compressd<>+40(SB)/8, $0x0000000000000000
DATA compressd<>+48(SB)/8, $0x0000000100000000
DATA compressd<>+56(SB)/8, $0x0000000000000000
DATA compressd<>+64(SB)/8, $0x0000000000000002
DATA compressd<>+72(SB)/8, $0x0000000000000000
DATA compressd<>+80(SB)/8, $0x0000000200000000
DATA compressd<>+88(SB)/8, $0x0000000000000000
DATA compressd<>+96(SB)/8, $0x0000000200000001
DATA compressd<>+104(SB)/8, $0x0000000000000000
DATA compressd<>+112(SB)/8, $0x0000000100000000
DATA compressd<>+120(SB)/8, $0x0000000000000002
DATA compressd<>+128(SB)/8, $0x0000000000000003
DATA compressd<>+136(SB)/8, $0x0000000000000000
DATA compressd<>+144(SB)/8, $0x0000000300000000
DATA compressd<>+152(SB)/8, $0x0000000000000000
DATA compressd<>+160(SB)/8, $0x0000000300000001
DATA compressd<>+168(SB)/8, $0x0000000000000000
DATA compressd<>+176(SB)/8, $0x0000000100000000
DATA compressd<>+184(SB)/8, $0x0000000000000003
DATA compressd<>+192(SB)/8, $0x0000000300000002
DATA compressd<>+200(SB)/8, $0x0000000000000000
DATA compressd<>+208(SB)/8, $0x0000000200000000
DATA compressd<>+216(SB)/8, $0x0000000000000003
DATA compressd<>+224(SB)/8, $0x0000000200000001
DATA compressd<>+232(SB)/8, $0x0000000000000003
DATA compressd<>+240(SB)/8, $0x0000000100000000
DATA compressd<>+248(SB)/8, $0x0000000300000002
GLOBL compressd<>(SB), RODATA|NOPTR, $256

// tailmask<>[r] (r < 4, 32 bytes each): the first r of four 64-bit lanes set.
DATA tailmask<>+0(SB)/8, $0
DATA tailmask<>+8(SB)/8, $0
DATA tailmask<>+16(SB)/8, $0
DATA tailmask<>+24(SB)/8, $0
DATA tailmask<>+32(SB)/8, $-1
DATA tailmask<>+40(SB)/8, $0
DATA tailmask<>+48(SB)/8, $0
DATA tailmask<>+56(SB)/8, $0
DATA tailmask<>+64(SB)/8, $-1
DATA tailmask<>+72(SB)/8, $-1
DATA tailmask<>+80(SB)/8, $0
DATA tailmask<>+88(SB)/8, $0
DATA tailmask<>+96(SB)/8, $-1
DATA tailmask<>+104(SB)/8, $-1
DATA tailmask<>+112(SB)/8, $-1
DATA tailmask<>+120(SB)/8, $0
GLOBL tailmask<>(SB), RODATA|NOPTR, $128

// func CountNZx2(n int, x *float64) int
// Returns the number of x[i] ≠ 0 (NaN counts) for i < n. Each compare's
// all-ones lanes (−1) are subtracted from per-lane counts.
TEXT ·CountNZx2(SB), NOSPLIT, $0-24
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	VXORPD Y15, Y15, Y15
	VPXOR  Y0, Y0, Y0
	VPXOR  Y1, Y1, Y1

cnz2_loop8:
	CMPQ   CX, $8
	JLT    cnz2_loop4
	VCMPPD $4, (SI), Y15, Y2
	VCMPPD $4, 32(SI), Y15, Y3
	VPSUBQ Y2, Y0, Y0
	VPSUBQ Y3, Y1, Y1
	ADDQ   $64, SI
	SUBQ   $8, CX
	JMP    cnz2_loop8

cnz2_loop4:
	CMPQ   CX, $4
	JLT    cnz2_tail
	VCMPPD $4, (SI), Y15, Y2
	VPSUBQ Y2, Y0, Y0
	ADDQ   $32, SI
	SUBQ   $4, CX

cnz2_tail:
	TESTQ      CX, CX
	JEQ        cnz2_sum
	SHLQ       $5, CX
	LEAQ       tailmask<>(SB), R9
	VMOVDQU    (R9)(CX*1), Y4
	VMASKMOVPD (SI), Y4, Y2
	VCMPPD     $4, Y15, Y2, Y2
	VPSUBQ     Y2, Y0, Y0

cnz2_sum:
	VPADDQ       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDQ       X1, X0, X0
	VMOVQ        X0, AX
	MOVQ         AX, ret+16(FP)
	VZEROUPPER
	RET

// CNZ2STEP lists the nonzero lanes of v, the four elements from p on:
// their values to vals[cnt:] (VPERMD by compresspd<>[mask]), X12 = (p +
// [0..3])·scale permuted likewise to idx[cnt:], then cnt (R8) += popcount,
// the lanes ∉ {0, 1} ORed into Y13 and X12 advanced by 4·scale (X11).
#define CNZ2STEP(v) \
	VCMPPD    $4, Y15, v, Y1; \
	VCMPPD    $4, Y14, v, Y2; \
	VANDPD    Y1, Y2, Y2; \
	VORPD     Y2, Y13, Y13; \
	VMOVMSKPD Y1, R9; \
	POPCNTL   R9, R12; \
	SHLL      $4, R9; \
	VMOVDQU   (BX)(R9*2), Y3; \
	VPERMD    v, Y3, Y4; \
	VMOVUPD   Y4, (R11)(R8*8); \
	VPERMILPS (DI)(R9*1), X12, X5; \
	VMOVDQU   X5, (R10)(R8*4); \
	ADDQ      R12, R8; \
	VPADDD    X11, X12, X12

// func CompressNZx2(n int, x *float64, stride int, scale int, idx *int32, vals *float64) (cnt int, nonunit int)
//
// CompressNZ with AVX2, four elements a step: writes the nonzero
// x[p·stride] (p < n; NaN counts), in order, to vals and p·scale to idx;
// cnt is their number and nonunit ≠ 0 if one of them is not 1. idx and
// vals must have room for cnt+4 elements (whole vectors are stored). With
// stride ≠ 1 the four elements are loaded one by one (VGATHERQPD took 3×
// as long on an AMD EPYC); the last n mod 4 likewise, the other lanes zero.
TEXT ·CompressNZx2(SB), NOSPLIT, $0-64
	MOVQ         n+0(FP), CX
	MOVQ         x+8(FP), SI
	MOVQ         stride+16(FP), DX
	MOVQ         idx+32(FP), R10
	MOVQ         vals+40(FP), R11
	SHLQ         $3, DX                        // stride in bytes
	LEAQ         (DX)(DX*2), R13               // 3·stride in bytes
	LEAQ         compresspd<>(SB), BX
	LEAQ         compressd<>(SB), DI
	XORQ         R8, R8
	VXORPD       Y15, Y15, Y15
	VBROADCASTSD one64<>(SB), Y14
	VXORPD       Y13, Y13, Y13                 // nonunit lanes
	VPBROADCASTD scale+24(FP), X11
	VPMULLD      iota32<>(SB), X11, X12        // X12 = (p + [0..3])·scale
	VPSLLD       $2, X11, X11                  // 4·scale
	CMPQ         DX, $8
	JNE          cmp2s_loop4

cmp2_loop8:
	CMPQ    CX, $8
	JLT     cmp2_loop4
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y6
	CNZ2STEP(Y0)
	CNZ2STEP(Y6)
	ADDQ    $64, SI
	SUBQ    $8, CX
	JMP     cmp2_loop8

cmp2_loop4:
	CMPQ    CX, $4
	JLT     cmp2_tail
	VMOVUPD (SI), Y0
	CNZ2STEP(Y0)
	ADDQ    $32, SI
	SUBQ    $4, CX
	JMP     cmp2_tail

cmp2s_loop4:
	CMPQ        CX, $4
	JLT         cmp2_tail
	VMOVSD      (SI), X0
	VMOVHPD     (SI)(DX*1), X0, X0
	VMOVSD      (SI)(DX*2), X1
	VMOVHPD     (SI)(R13*1), X1, X1
	VINSERTF128 $1, X1, Y0, Y0
	CNZ2STEP(Y0)
	LEAQ        (SI)(DX*4), SI
	SUBQ        $4, CX
	JMP         cmp2s_loop4

cmp2_tail:
	TESTQ       CX, CX
	JEQ         cmp2_end
	VMOVSD      (SI), X0                       // zeroes lanes 1-3
	CMPQ        CX, $2
	JLT         cmp2_last
	VMOVHPD     (SI)(DX*1), X0, X0
	CMPQ        CX, $3
	JLT         cmp2_last
	VMOVSD      (SI)(DX*2), X1
	VINSERTF128 $1, X1, Y0, Y0

cmp2_last:
	CNZ2STEP(Y0)

cmp2_end:
	MOVQ      R8, cnt+48(FP)
	VMOVMSKPD Y13, R9
	MOVQ      R9, nonunit+56(FP)
	VZEROUPPER
	RET
