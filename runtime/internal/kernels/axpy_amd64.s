//go:build amd64 && !purego

#include "textflag.h"

// Row updates y += Σ coef·a[row] and y += α·x. Stubs in kernels_amd64.go.
//
// Matrices are float64, row-major; byte offsets are computed here, element
// counts come from Go. The AVX-512 kernels use masked loads and stores for
// partial tiles; the AVX2 ones use VMASKMOVPD with mask vectors prepared by
// Go.

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
// AVX2 version of Axpy8 for n a multiple of 4.
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

// func Axpy8s(n int, y, a *float32, offs *int64, coef *float32)
//
// y[j] += Σ_{t<8} coef[t]·a[offs[t]/4 + j] for j < n (offs in bytes), in
// float32: Axpy8 on sixteen lanes.
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

// func Axpy8sx2(n int, y, a *float32, offs *int64, coef *float32)
//
// AVX2 version of Axpy8s for n a multiple of 8: y[j] += Σ_{t<8}
// coef[t]·a[offs[t]/4 + j] in float32, rows 0, 2, 4, 6 in one chain and y
// with rows 1, 3, 5, 7 in another, summed at the end (as Axpy8x2).
TEXT ·Axpy8sx2(SB), NOSPLIT, $0-40
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
	VBROADCASTSS (DX), Y8
	VBROADCASTSS 4(DX), Y9
	VBROADCASTSS 8(DX), Y10
	VBROADCASTSS 12(DX), Y11
	VBROADCASTSS 16(DX), Y12
	VBROADCASTSS 20(DX), Y13
	VBROADCASTSS 24(DX), Y14
	VBROADCASTSS 28(DX), Y15

ax8sx2_loop:
	CMPQ        CX, $8
	JLT         ax8sx2_end
	VMOVUPS     (DI), Y0
	VMULPS      (SI)(R8*1), Y8, Y1
	VFMADD231PS (SI)(R9*1), Y9, Y0
	VFMADD231PS (SI)(R10*1), Y10, Y1
	VFMADD231PS (SI)(R11*1), Y11, Y0
	VFMADD231PS (SI)(R12*1), Y12, Y1
	VFMADD231PS (SI)(R13*1), Y13, Y0
	VFMADD231PS (SI)(R14*1), Y14, Y1
	VFMADD231PS (SI)(BX*1), Y15, Y0
	VADDPS      Y1, Y0, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         ax8sx2_loop

ax8sx2_end:
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
