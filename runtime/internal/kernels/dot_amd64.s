//go:build amd64 && !purego

#include "textflag.h"

// Dot products of one vector with four rows at once. Stubs in
// kernels_amd64.go.
//
// Matrices are float64, row-major; byte offsets are computed here, element
// counts come from Go. The AVX-512 kernels use masked loads and stores for
// partial tiles; the AVX2 ones use VMASKMOVPD with mask vectors prepared by
// Go.

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
