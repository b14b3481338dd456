//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// Vector e^x, σ and softplus sums for vmath_arm64.go, the algorithm and constants of the
// AVX2 kernels (vmath_amd64.s) on NEON's two float64 lanes, two vectors a
// step: x is clamped to [−708, 709], split as x = k·ln 2 + r with
// |r| ≤ ln 2 / 2 (Cody–Waite: ln 2 in a high and a low part, FMLS), e^r is
// the Taylor polynomial of degree 12 by Horner's rule (FMLA), and 2^k is
// built in the exponent bits. Every operation is the AVX2 kernel's
// (fused where it fuses, rounding k to nearest even), so the results are
// the same to the bit.

DATA vexpN<>+0(SB)/8, $-708.0            // lower clamp
DATA vexpN<>+8(SB)/8, $709.0             // upper clamp
DATA vexpN<>+16(SB)/8, $1.4426950408889634 // log2(e)
DATA vexpN<>+24(SB)/8, $0.6931471803691238 // ln 2, high part (exact in 32 bits)
DATA vexpN<>+32(SB)/8, $1.9082149292705877e-10 // ln 2, low part
DATA vexpN<>+40(SB)/8, $1023             // exponent bias (integer)
DATA vexpN<>+48(SB)/8, $1.0
DATA vexpN<>+56(SB)/8, $2.08767569878681e-09 // 1/12!, then down to 1/2!
DATA vexpN<>+64(SB)/8, $2.505210838544172e-08
DATA vexpN<>+72(SB)/8, $2.755731922398589e-07
DATA vexpN<>+80(SB)/8, $2.7557319223985893e-06
DATA vexpN<>+88(SB)/8, $2.48015873015873e-05
DATA vexpN<>+96(SB)/8, $0.0001984126984126984
DATA vexpN<>+104(SB)/8, $0.001388888888888889
DATA vexpN<>+112(SB)/8, $0.008333333333333333
DATA vexpN<>+120(SB)/8, $0.041666666666666664
DATA vexpN<>+128(SB)/8, $0.16666666666666666
DATA vexpN<>+136(SB)/8, $0.5
GLOBL vexpN<>(SB), RODATA|NOPTR, $144

// LOADCONSTS broadcasts the constants: V8 lower clamp, V9 upper clamp,
// V10 log2 e, V11 ln 2 high, V12 ln 2 low, V13 bias, V14 = 1, V16–V26 the
// coefficients 1/12! … 1/2!. It uses R9.
#define LOADCONSTS \
	MOVD $vexpN<>(SB), R9; \
	VLD1R.P 8(R9), [V8.D2]; \
	VLD1R.P 8(R9), [V9.D2]; \
	VLD1R.P 8(R9), [V10.D2]; \
	VLD1R.P 8(R9), [V11.D2]; \
	VLD1R.P 8(R9), [V12.D2]; \
	VLD1R.P 8(R9), [V13.D2]; \
	VLD1R.P 8(R9), [V14.D2]; \
	VLD1R.P 8(R9), [V16.D2]; \
	VLD1R.P 8(R9), [V17.D2]; \
	VLD1R.P 8(R9), [V18.D2]; \
	VLD1R.P 8(R9), [V19.D2]; \
	VLD1R.P 8(R9), [V20.D2]; \
	VLD1R.P 8(R9), [V21.D2]; \
	VLD1R.P 8(R9), [V22.D2]; \
	VLD1R.P 8(R9), [V23.D2]; \
	VLD1R.P 8(R9), [V24.D2]; \
	VLD1R.P 8(R9), [V25.D2]; \
	VLD1R (R9), [V26.D2]

// EXPA computes e^V0 into V0 (uses V1–V4).
#define EXPA \
	FMAXV2(0, 0, 8); \
	FMINV2(0, 0, 9); \
	FMULV2(1, 0, 10); \
	FRINTNV2(1, 1); \
	FMLSV2(0, 1, 11); \
	FMLSV2(0, 1, 12); \
	MOVV(2, 17); \
	FMLAV2(2, 16, 0); \
	MOVV(3, 18); \
	FMLAV2(3, 2, 0); \
	MOVV(2, 19); \
	FMLAV2(2, 3, 0); \
	MOVV(3, 20); \
	FMLAV2(3, 2, 0); \
	MOVV(2, 21); \
	FMLAV2(2, 3, 0); \
	MOVV(3, 22); \
	FMLAV2(3, 2, 0); \
	MOVV(2, 23); \
	FMLAV2(2, 3, 0); \
	MOVV(3, 24); \
	FMLAV2(3, 2, 0); \
	MOVV(2, 25); \
	FMLAV2(2, 3, 0); \
	MOVV(3, 26); \
	FMLAV2(3, 2, 0); \
	MOVV(2, 14); \
	FMLAV2(2, 3, 0); \
	MOVV(3, 14); \
	FMLAV2(3, 2, 0); \
	FCVTZSV2(4, 1); \
	ADDV2(4, 4, 13); \
	SHL52V2(4, 4); \
	FMULV2(0, 3, 4)

// EXPB computes e^V5 into V5 (uses V6, V7, V27, V28).
#define EXPB \
	FMAXV2(5, 5, 8); \
	FMINV2(5, 5, 9); \
	FMULV2(6, 5, 10); \
	FRINTNV2(6, 6); \
	FMLSV2(5, 6, 11); \
	FMLSV2(5, 6, 12); \
	MOVV(7, 17); \
	FMLAV2(7, 16, 5); \
	MOVV(27, 18); \
	FMLAV2(27, 7, 5); \
	MOVV(7, 19); \
	FMLAV2(7, 27, 5); \
	MOVV(27, 20); \
	FMLAV2(27, 7, 5); \
	MOVV(7, 21); \
	FMLAV2(7, 27, 5); \
	MOVV(27, 22); \
	FMLAV2(27, 7, 5); \
	MOVV(7, 23); \
	FMLAV2(7, 27, 5); \
	MOVV(27, 24); \
	FMLAV2(27, 7, 5); \
	MOVV(7, 25); \
	FMLAV2(7, 27, 5); \
	MOVV(27, 26); \
	FMLAV2(27, 7, 5); \
	MOVV(7, 14); \
	FMLAV2(7, 27, 5); \
	MOVV(27, 14); \
	FMLAV2(27, 7, 5); \
	FCVTZSV2(28, 6); \
	ADDV2(28, 28, 13); \
	SHL52V2(28, 28); \
	FMULV2(5, 27, 28)

// func expNEON(n int, dst, src *float64)  — n a multiple of 4
TEXT ·expNEON(SB), NOSPLIT, $0-24
	MOVD n+0(FP), R0
	MOVD dst+8(FP), R1
	MOVD src+16(FP), R2
	LOADCONSTS
	LSR  $2, R0
	CBZ  R0, exp_done

exp_loop:
	VLD1.P 32(R2), [V0.D2, V1.D2]
	MOVV(5, 1)
	EXPA
	EXPB
	MOVV(1, 5)
	VST1.P [V0.D2, V1.D2], 32(R1)
	SUBS   $1, R0
	BNE    exp_loop

exp_done:
	RET

// func sigmoidNEON(n int, dst, src *float64, scale float64)  — n a multiple of 4:
// dst = 1/(1 + e^{−scale·src})
TEXT ·sigmoidNEON(SB), NOSPLIT, $0-32
	MOVD  n+0(FP), R0
	MOVD  dst+8(FP), R1
	MOVD  src+16(FP), R2
	FMOVD scale+24(FP), F15
	FNEGD F15, F15
	VDUP  V15.D[0], V15.D2   // −scale
	LOADCONSTS
	LSR   $2, R0
	CBZ   R0, sig_done

sig_loop:
	VLD1.P 32(R2), [V0.D2, V1.D2]
	FMULV2(5, 1, 15)
	FMULV2(0, 0, 15)
	EXPA
	EXPB
	FADDV2(0, 0, 14)
	FADDV2(5, 5, 14)
	FDIVV2(0, 14, 0)
	FDIVV2(1, 14, 5)
	VST1.P [V0.D2, V1.D2], 32(R1)
	SUBS   $1, R0
	BNE    sig_loop

sig_done:
	RET

// The constants of LOG1P in the order it loads them: √2 − 1, 2, 3, the
// coefficients 2/(2n+1) for n = 9 … 0, ln 2.
DATA vlogN<>+0(SB)/8, $0.41421356237309503
DATA vlogN<>+8(SB)/8, $2.0
DATA vlogN<>+16(SB)/8, $3.0
DATA vlogN<>+24(SB)/8, $0.10526315789473684
DATA vlogN<>+32(SB)/8, $0.11764705882352941
DATA vlogN<>+40(SB)/8, $0.13333333333333333
DATA vlogN<>+48(SB)/8, $0.15384615384615385
DATA vlogN<>+56(SB)/8, $0.18181818181818182
DATA vlogN<>+64(SB)/8, $0.2222222222222222
DATA vlogN<>+72(SB)/8, $0.2857142857142857
DATA vlogN<>+80(SB)/8, $0.4
DATA vlogN<>+88(SB)/8, $0.6666666666666666
DATA vlogN<>+96(SB)/8, $2.0
DATA vlogN<>+104(SB)/8, $0.6931471805599453
GLOBL vlogN<>(SB), RODATA|NOPTR, $112

// LOG1P computes log(1 + V0) for V0 in [0, 1] into V0 (the AVX2 kernel's
// LOG1P): with z = 1 + y, log z = 2·atanh(s), s = y/(2 + y), or for
// y ≥ √2 − 1 log z = ln 2 + 2·atanh(s), s = (y − 1)/(y + 3); the series
// 2s·Σ s²ⁿ/(2n+1), n ≤ 9. V7 must be zero, V14 one, R10 point at vlogN;
// it uses V1–V4 and R11, and loads its constants as it goes.
#define LOG1P \
	MOVD    R10, R11; \
	VLD1R.P 8(R11), [V1.D2]; \
	FCMGTV2(1, 1, 0); \
	VLD1R.P 8(R11), [V2.D2]; \
	FADDV2(2, 2, 0); \
	VLD1R.P 8(R11), [V3.D2]; \
	FADDV2(3, 3, 0); \
	BITV(3, 2, 1); \
	FSUBV2(2, 0, 14); \
	BITV(2, 0, 1); \
	FDIVV2(2, 2, 3); \
	FMULV2(4, 2, 2); \
	VLD1R.P 8(R11), [V0.D2]; \
	VLD1R.P 8(R11), [V3.D2]; \
	FMLAV2(3, 0, 4); \
	VLD1R.P 8(R11), [V0.D2]; \
	FMLAV2(0, 3, 4); \
	VLD1R.P 8(R11), [V3.D2]; \
	FMLAV2(3, 0, 4); \
	VLD1R.P 8(R11), [V0.D2]; \
	FMLAV2(0, 3, 4); \
	VLD1R.P 8(R11), [V3.D2]; \
	FMLAV2(3, 0, 4); \
	VLD1R.P 8(R11), [V0.D2]; \
	FMLAV2(0, 3, 4); \
	VLD1R.P 8(R11), [V3.D2]; \
	FMLAV2(3, 0, 4); \
	VLD1R.P 8(R11), [V0.D2]; \
	FMLAV2(0, 3, 4); \
	VLD1R.P 8(R11), [V3.D2]; \
	FMLAV2(3, 0, 4); \
	FMULV2(0, 3, 2); \
	VLD1R   (R11), [V3.D2]; \
	BICV(3, 3, 1); \
	FADDV2(0, 0, 3)

// SPLUS adds softplus(scale·Vx) = max(y, 0) + log1p(e^{−|y|}), y = scale·Vx
// (V15 = scale), to the lanes of Vacc; x and acc are register numbers.
#define SPLUS(x, acc) \
	FMULV2(5, x, 15); \
	FABSV2(0, 5); \
	FSUBV2(0, 7, 0); \
	EXPA; \
	LOG1P; \
	FMAXV2(1, 5, 7); \
	FADDV2(0, 0, 1); \
	FADDV2(acc, acc, 0)

// func softplusSumNEON(n int, src *float64, scale float64) float64  — n a multiple of 4:
// Σ softplus(scale·src[i]), summed as the AVX2 kernel does: four lane
// sums (V6 for lanes 0, 1 and V30 for 2, 3 of each group of four), then
// (s0 + s2) + (s1 + s3).
TEXT ·softplusSumNEON(SB), NOSPLIT, $0-32
	MOVD  n+0(FP), R0
	MOVD  src+8(FP), R1
	FMOVD scale+16(FP), F15
	VDUP  V15.D[0], V15.D2
	LOADCONSTS
	MOVD  $vlogN<>(SB), R10
	VEOR  V6.B16, V6.B16, V6.B16
	VEOR  V7.B16, V7.B16, V7.B16
	VEOR  V30.B16, V30.B16, V30.B16
	LSR   $2, R0
	CBZ   R0, sp_done

sp_loop:
	VLD1.P 32(R1), [V28.D2, V29.D2]
	SPLUS(28, 6)
	SPLUS(29, 30)
	SUBS   $1, R0
	BNE    sp_loop

sp_done:
	FADDV2(6, 6, 30)
	FADDP2(6, 6)
	FMOVD F6, ret+24(FP)
	RET
