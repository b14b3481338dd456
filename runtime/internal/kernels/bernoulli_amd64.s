//go:build amd64 && !purego

#include "textflag.h"

// Bernoulli draws for eight rows at once, one xoshiro256** generator per
// vector lane. Stubs in kernels_amd64.go.

DATA iota64<>+0(SB)/8, $0
DATA iota64<>+8(SB)/8, $1
DATA iota64<>+16(SB)/8, $2
DATA iota64<>+24(SB)/8, $3
DATA iota64<>+32(SB)/8, $4
DATA iota64<>+40(SB)/8, $5
DATA iota64<>+48(SB)/8, $6
DATA iota64<>+56(SB)/8, $7
GLOBL iota64<>(SB), RODATA|NOPTR, $64

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
