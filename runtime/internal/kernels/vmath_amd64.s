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

DATA vlogC<>+0(SB)/8, $0x7fffffffffffffff // |x| mask
DATA vlogC<>+8(SB)/8, $0.41421356237309503 // √2 − 1
DATA vlogC<>+16(SB)/8, $2.0
DATA vlogC<>+24(SB)/8, $3.0
DATA vlogC<>+32(SB)/8, $0.6931471805599453 // ln 2
DATA vlogC<>+40(SB)/8, $2.0                 // 2/(2n+1), n = 0 … 9
DATA vlogC<>+48(SB)/8, $0.6666666666666666
DATA vlogC<>+56(SB)/8, $0.4
DATA vlogC<>+64(SB)/8, $0.2857142857142857
DATA vlogC<>+72(SB)/8, $0.2222222222222222
DATA vlogC<>+80(SB)/8, $0.18181818181818182
DATA vlogC<>+88(SB)/8, $0.15384615384615385
DATA vlogC<>+96(SB)/8, $0.13333333333333333
DATA vlogC<>+104(SB)/8, $0.11764705882352941
DATA vlogC<>+112(SB)/8, $0.10526315789473684
GLOBL vlogC<>(SB), RODATA|NOPTR, $120

// LOG1P computes log(1 + Y0) for Y0 in [0, 1] into Y0, using Y1–Y4; Y7
// must be zero and Y14 one. With z = 1 + y, log z = 2·atanh(s), s = (z − 1)/(z + 1)
// = y/(2 + y), or for y ≥ √2 − 1 log z = ln 2 + 2·atanh(s), s = (y − 1)/(y + 3);
// either way |s| ≤ 0.172 and the series 2s·Σ s²ⁿ/(2n+1), n ≤ 9, is exact to 2·10⁻¹⁷.
#define LOG1P \
	VBROADCASTSD vlogC<>+8(SB), Y1 \
	VCMPPD $1, Y1, Y0, Y1 \
	VBROADCASTSD vlogC<>+16(SB), Y2 \
	VADDPD Y0, Y2, Y2 \
	VBROADCASTSD vlogC<>+24(SB), Y3 \
	VADDPD Y0, Y3, Y3 \
	VBLENDVPD Y1, Y2, Y3, Y2 \
	VSUBPD Y14, Y0, Y3 \
	VBLENDVPD Y1, Y0, Y3, Y3 \
	VDIVPD Y2, Y3, Y3 \
	VMULPD Y3, Y3, Y4 \
	VBROADCASTSD vlogC<>+112(SB), Y0 \
	VBROADCASTSD vlogC<>+104(SB), Y2 \
	VFMADD213PD Y2, Y4, Y0 \
	VBROADCASTSD vlogC<>+96(SB), Y2 \
	VFMADD213PD Y2, Y4, Y0 \
	VBROADCASTSD vlogC<>+88(SB), Y2 \
	VFMADD213PD Y2, Y4, Y0 \
	VBROADCASTSD vlogC<>+80(SB), Y2 \
	VFMADD213PD Y2, Y4, Y0 \
	VBROADCASTSD vlogC<>+72(SB), Y2 \
	VFMADD213PD Y2, Y4, Y0 \
	VBROADCASTSD vlogC<>+64(SB), Y2 \
	VFMADD213PD Y2, Y4, Y0 \
	VBROADCASTSD vlogC<>+56(SB), Y2 \
	VFMADD213PD Y2, Y4, Y0 \
	VBROADCASTSD vlogC<>+48(SB), Y2 \
	VFMADD213PD Y2, Y4, Y0 \
	VBROADCASTSD vlogC<>+40(SB), Y2 \
	VFMADD213PD Y2, Y4, Y0 \
	VMULPD Y3, Y0, Y0 \
	VBROADCASTSD vlogC<>+32(SB), Y2 \
	VBLENDVPD Y1, Y7, Y2, Y2 \
	VADDPD Y2, Y0, Y0

// func softplusSumAVX2(n int, src *float64, scale float64) float64  — n a multiple of 4:
// Σ softplus(scale·src[i]), softplus(x) = max(x, 0) + log1p(e^{−|x|})
TEXT ·softplusSumAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ src+8(FP), SI
	VBROADCASTSD scale+16(FP), Y15
	LOADCONSTS
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	SHRQ $2, CX
	JZ spdone
sploop:
	VMULPD (SI), Y15, Y5
	VBROADCASTSD vlogC<>+0(SB), Y0
	VANDPD Y5, Y0, Y0
	VSUBPD Y0, Y7, Y0
	EXP4
	LOG1P
	VMAXPD Y5, Y7, Y1
	VADDPD Y1, Y0, Y0
	VADDPD Y0, Y6, Y6
	ADDQ $32, SI
	DECQ CX
	JNZ sploop
spdone:
	VEXTRACTF128 $1, Y6, X0
	VADDPD X0, X6, X0
	VHADDPD X0, X0, X0
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET

// EXP8 is e^x on eight lanes (AVX-512), by a table of eighths:
// x = (8q + j)·(ln 2)/8 + r with |r| ≤ ln 2 / 16, e^x = 2^q · 2^{j/8} · p(r),
// p the Taylor polynomial of degree 7 (truncation below 3.2·10⁻¹⁶
// relative), 2^{j/8} picked from a register by VPERMPD. It computes e^Z0 into Z0 with every constant in a
// register (LOADCONSTS8) and uses Z1, Z2, Z4 and Z24.
DATA vexpT<>+0(SB)/8, $1.0
DATA vexpT<>+8(SB)/8, $1.0905077326652577
DATA vexpT<>+16(SB)/8, $1.189207115002721
DATA vexpT<>+24(SB)/8, $1.2968395546510096
DATA vexpT<>+32(SB)/8, $1.4142135623730951
DATA vexpT<>+40(SB)/8, $1.5422108254079407
DATA vexpT<>+48(SB)/8, $1.681792830507429
DATA vexpT<>+56(SB)/8, $1.8340080864093424
DATA vexpT<>+64(SB)/8, $11.541560327111707    // 8/ln 2
DATA vexpT<>+72(SB)/8, $0.08664339754614048   // (ln 2)/8, high part (exact in 29 bits)
DATA vexpT<>+80(SB)/8, $2.3852686615882346e-11 // (ln 2)/8, low part
DATA vexpT<>+88(SB)/8, $7                     // j mask (integer)
DATA vexpT<>+96(SB)/8, $0.0001984126984126984  // 1/7!
DATA vexpT<>+104(SB)/8, $0.001388888888888889  // 1/6!
DATA vexpT<>+112(SB)/8, $0.008333333333333333  // 1/5!
DATA vexpT<>+120(SB)/8, $0.041666666666666664  // 1/4!
DATA vexpT<>+128(SB)/8, $0.16666666666666666   // 1/3!
DATA vexpT<>+136(SB)/8, $0.5
GLOBL vexpT<>(SB), RODATA|NOPTR, $144

#define EXP8 \
	VMAXPD Z0, Z8, Z0 \
	VMINPD Z0, Z9, Z0 \
	VMULPD Z10, Z0, Z1 \
	VRNDSCALEPD $0, Z1, Z1 \
	VFNMADD231PD Z11, Z1, Z0 \
	VFNMADD231PD Z12, Z1, Z0 \
	VCVTPD2QQ Z1, Z4 \
	VPANDQ Z23, Z4, Z24 \
	VPSRAQ $3, Z4, Z4 \
	VPERMPD Z16, Z24, Z24 \
	VMOVAPD Z17, Z2 \
	VFMADD213PD Z18, Z0, Z2 \
	VFMADD213PD Z19, Z0, Z2 \
	VFMADD213PD Z20, Z0, Z2 \
	VFMADD213PD Z21, Z0, Z2 \
	VFMADD213PD Z22, Z0, Z2 \
	VFMADD213PD Z14, Z0, Z2 \
	VFMADD213PD Z14, Z0, Z2 \
	VPADDQ Z13, Z4, Z4 \
	VPSLLQ $52, Z4, Z4 \
	VMULPD Z24, Z2, Z2 \
	VMULPD Z4, Z2, Z0

#define LOADCONSTS8 \
	VBROADCASTSD vexpC<>+0(SB), Z8 \
	VBROADCASTSD vexpC<>+8(SB), Z9 \
	VBROADCASTSD vexpT<>+64(SB), Z10 \
	VBROADCASTSD vexpT<>+72(SB), Z11 \
	VBROADCASTSD vexpT<>+80(SB), Z12 \
	VPBROADCASTQ vexpC<>+40(SB), Z13 \
	VBROADCASTSD vexpC<>+48(SB), Z14 \
	VMOVUPD vexpT<>+0(SB), Z16 \
	VBROADCASTSD vexpT<>+96(SB), Z17 \
	VBROADCASTSD vexpT<>+104(SB), Z18 \
	VBROADCASTSD vexpT<>+112(SB), Z19 \
	VBROADCASTSD vexpT<>+120(SB), Z20 \
	VBROADCASTSD vexpT<>+128(SB), Z21 \
	VBROADCASTSD vexpT<>+136(SB), Z22 \
	VPBROADCASTQ vexpT<>+88(SB), Z23

// LOG1P8 is LOG1P on eight lanes, the blends through mask register K1.
#define LOG1P8 \
	VBROADCASTSD vlogC<>+8(SB), Z1 \
	VCMPPD $1, Z1, Z0, K1 \
	VBROADCASTSD vlogC<>+16(SB), Z2 \
	VADDPD Z0, Z2, Z2 \
	VBROADCASTSD vlogC<>+24(SB), Z3 \
	VADDPD Z0, Z3, Z3 \
	VBLENDMPD Z2, Z3, K1, Z2 \
	VSUBPD Z14, Z0, Z3 \
	VBLENDMPD Z0, Z3, K1, Z3 \
	VDIVPD Z2, Z3, Z3 \
	VMULPD Z3, Z3, Z4 \
	VBROADCASTSD vlogC<>+112(SB), Z0 \
	VBROADCASTSD vlogC<>+104(SB), Z2 \
	VFMADD213PD Z2, Z4, Z0 \
	VBROADCASTSD vlogC<>+96(SB), Z2 \
	VFMADD213PD Z2, Z4, Z0 \
	VBROADCASTSD vlogC<>+88(SB), Z2 \
	VFMADD213PD Z2, Z4, Z0 \
	VBROADCASTSD vlogC<>+80(SB), Z2 \
	VFMADD213PD Z2, Z4, Z0 \
	VBROADCASTSD vlogC<>+72(SB), Z2 \
	VFMADD213PD Z2, Z4, Z0 \
	VBROADCASTSD vlogC<>+64(SB), Z2 \
	VFMADD213PD Z2, Z4, Z0 \
	VBROADCASTSD vlogC<>+56(SB), Z2 \
	VFMADD213PD Z2, Z4, Z0 \
	VBROADCASTSD vlogC<>+48(SB), Z2 \
	VFMADD213PD Z2, Z4, Z0 \
	VBROADCASTSD vlogC<>+40(SB), Z2 \
	VFMADD213PD Z2, Z4, Z0 \
	VMULPD Z3, Z0, Z0 \
	VBROADCASTSD vlogC<>+32(SB), Z2 \
	VBLENDMPD Z7, Z2, K1, Z2 \
	VADDPD Z2, Z0, Z0


// func softplusSumAVX512(n int, src *float64, scale float64) float64  — n a multiple of 8:
// Σ softplus(scale·src[i]), as softplusSumAVX2 on eight lanes.
TEXT ·softplusSumAVX512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ src+8(FP), SI
	VBROADCASTSD scale+16(FP), Z15
	LOADCONSTS8
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	SHRQ $3, CX
	JZ sp8done
sp8loop:
	VMULPD (SI), Z15, Z5
	VBROADCASTSD vlogC<>+0(SB), Z0
	VANDPD Z5, Z0, Z0
	VSUBPD Z0, Z7, Z0
	EXP8
	LOG1P8
	VMAXPD Z5, Z7, Z1
	VADDPD Z1, Z0, Z0
	VADDPD Z0, Z6, Z6
	ADDQ $64, SI
	DECQ CX
	JNZ sp8loop
sp8done:
	VEXTRACTF64X4 $1, Z6, Y0
	VADDPD Y0, Y6, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET

// func sigmoidAVX512(n int, dst, src *float64, scale float64)  — n a multiple of 8:
// dst = 1/(1 + e^{−scale·src}), as sigmoidAVX2 on eight lanes.
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	VBROADCASTSD scale+24(FP), Z15
	LOADCONSTS8
	VPXORQ Z7, Z7, Z7
	VSUBPD Z15, Z7, Z15 // −scale
	SHRQ $3, CX
	JZ sig8done
sig8loop:
	VMULPD (SI), Z15, Z0
	EXP8
	VADDPD Z14, Z0, Z0
	VDIVPD Z0, Z14, Z0
	VMOVUPD Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ sig8loop
sig8done:
	VZEROUPPER
	RET
