//go:build amd64 && !purego

#include "textflag.h"

// Vector e^x for vmath_amd64.go, four lanes per instruction (AVX2 + FMA):
// x is clamped to [−708, 709], split as x = k·ln 2 + r with |r| ≤ ln 2 / 2
// (Cody–Waite: ln 2 in a high and a low part), e^r is the Taylor polynomial
// of degree 12 by Horner's rule, and 2^k is built in the exponent bits.

DATA vexpC<>+0(SB)/8, $-708.0            // lower clamp
DATA vexpC<>+8(SB)/8, $709.0             // upper clamp
DATA vexpC<>+16(SB)/8, $1.4426950408889634 // log2(e)
DATA vexpC<>+24(SB)/8, $0.6931471803691238 // ln 2, high part (exact in 32 bits)
DATA vexpC<>+32(SB)/8, $1.9082149292705877e-10 // ln 2, low part
DATA vexpC<>+40(SB)/8, $1023             // exponent bias (integer)
DATA vexpC<>+48(SB)/8, $1.0
DATA vexpC<>+56(SB)/8, $0.5
DATA vexpC<>+64(SB)/8, $0.16666666666666666
DATA vexpC<>+72(SB)/8, $0.041666666666666664
DATA vexpC<>+80(SB)/8, $0.008333333333333333
DATA vexpC<>+88(SB)/8, $0.001388888888888889
DATA vexpC<>+96(SB)/8, $0.0001984126984126984
DATA vexpC<>+104(SB)/8, $2.48015873015873e-05
DATA vexpC<>+112(SB)/8, $2.7557319223985893e-06
DATA vexpC<>+120(SB)/8, $2.755731922398589e-07
DATA vexpC<>+128(SB)/8, $2.505210838544172e-08
DATA vexpC<>+136(SB)/8, $2.08767569878681e-09
GLOBL vexpC<>(SB), RODATA|NOPTR, $144

// EXP4 computes e^Y0 into Y0; it uses Y1–Y5 and the constants in Y8–Y15.
// Y8 lower clamp, Y9 upper clamp, Y10 log2e, Y11 ln2hi, Y12 ln2lo, Y13 bias,
// Y14 = 1.0.
#define EXP4 \
	VMAXPD Y0, Y8, Y0 \
	VMINPD Y0, Y9, Y0 \
	VMULPD Y10, Y0, Y1 \
	VROUNDPD $0, Y1, Y1 \
	VFNMADD231PD Y11, Y1, Y0 \
	VFNMADD231PD Y12, Y1, Y0 \
	VBROADCASTSD vexpC<>+136(SB), Y2 \
	VBROADCASTSD vexpC<>+128(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VBROADCASTSD vexpC<>+120(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VBROADCASTSD vexpC<>+112(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VBROADCASTSD vexpC<>+104(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VBROADCASTSD vexpC<>+96(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VBROADCASTSD vexpC<>+88(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VBROADCASTSD vexpC<>+80(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VBROADCASTSD vexpC<>+72(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VBROADCASTSD vexpC<>+64(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VBROADCASTSD vexpC<>+56(SB), Y3 \
	VFMADD213PD Y3, Y0, Y2 \
	VFMADD213PD Y14, Y0, Y2 \
	VFMADD213PD Y14, Y0, Y2 \
	VCVTPD2DQY Y1, X4 \
	VPMOVSXDQ X4, Y4 \
	VPADDQ Y13, Y4, Y4 \
	VPSLLQ $52, Y4, Y4 \
	VMULPD Y4, Y2, Y0

#define LOADCONSTS \
	VBROADCASTSD vexpC<>+0(SB), Y8 \
	VBROADCASTSD vexpC<>+8(SB), Y9 \
	VBROADCASTSD vexpC<>+16(SB), Y10 \
	VBROADCASTSD vexpC<>+24(SB), Y11 \
	VBROADCASTSD vexpC<>+32(SB), Y12 \
	VPBROADCASTQ vexpC<>+40(SB), Y13 \
	VBROADCASTSD vexpC<>+48(SB), Y14

// func expAVX2(n int, dst, src *float64)  — n a multiple of 4
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	LOADCONSTS
	SHRQ $2, CX
	JZ expdone
exploop:
	VMOVUPD (SI), Y0
	EXP4
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ exploop
expdone:
	VZEROUPPER
	RET

// func sigmoidAVX2(n int, dst, src *float64, scale float64)  — n a multiple of 4:
// dst = 1/(1 + e^{−scale·src})
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	VBROADCASTSD scale+24(FP), Y15
	LOADCONSTS
	VXORPD Y7, Y7, Y7
	VSUBPD Y15, Y7, Y15 // −scale
	SHRQ $2, CX
	JZ sigdone
sigloop:
	VMULPD (SI), Y15, Y0
	EXP4
	VADDPD Y14, Y0, Y0
	VDIVPD Y0, Y14, Y0
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ sigloop
sigdone:
	VZEROUPPER
	RET
