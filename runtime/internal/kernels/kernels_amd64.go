//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// Stubs of the assembly kernels, one .s file per family (cpu, gemm, gather,
// sparse, pack, axpy, dot, bernoulli), and the CPU feature detection that
// chooses among them.

func SpinPause()

//go:noescape
func Gemm8x24(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *uint16)

//go:noescape
func Gemm4x12(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64)

//go:noescape
func Gather64(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int)

//go:noescape
func Gather32(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int)

//go:noescape
func Gather32x2(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *int64, unit int)

//go:noescape
func Gather64s(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int)

//go:noescape
func Gemm8x32s(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *uint16)

//go:noescape
func Narrow16(n int, src *float64, dst *float32)

//go:noescape
func Gemm4x24s(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *int64)

//go:noescape
func Gather64sx2(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *int64, unit int)

//go:noescape
func Narrow4x2(n int, src *float64, dst *float32)

//go:noescape
func CountNZ(n int, x *float64) int

//go:noescape
func CompressNZ(n int, x *float64, stride int, scale int, idx *int32, vals *float64) (cnt int, nonunit int)

//go:noescape
func CountNZx2(n int, x *float64) int

//go:noescape
func CompressNZx2(n int, x *float64, stride int, scale int, idx *int32, vals *float64) (cnt int, nonunit int)

//go:noescape
func PackT8(kc int, src *float64, ld int, rows int, dst *float64, ds int)

//go:noescape
func Axpy8(n int, y, a *float64, offs *int64, coef *float64)

//go:noescape
func BernoulliRows8(n int, rngs *[4]uint64, x *float64, stride int)

//go:noescape
func AxpyUnitary(n int, alpha float64, x, y *float64)

//go:noescape
func Axpy8s(n int, y, a *float32, offs *int64, coef *float32)

//go:noescape
func Axpy8x2(n int, y, a *float64, offs *int64, coef *float64)

//go:noescape
func Axpy8sx2(n int, y, a *float32, offs *int64, coef *float32)

//go:noescape
func dot4(n int, a *float64, lda int, x *float64, out *float64)

//go:noescape
func dot4x2(n int, a *float64, lda int, x *float64, out *float64)

// detectLevel returns LevelAVX512 when the CPU has AVX-512 F, DQ, BW and VL
// (and the OS saves the ZMM state), LevelAVX2 with AVX2 and FMA (and OS
// support for the YMM state), LevelGo otherwise. golang.org/x/sys/cpu
// reads the CPU's features and the OS's support for their registers.
func detectLevel() int {
	x := &cpu.X86
	switch {
	case !x.HasAVX || !x.HasAVX2 || !x.HasFMA:
		return LevelGo
	case x.HasAVX512F && x.HasAVX512DQ && x.HasAVX512BW && x.HasAVX512VL:
		return LevelAVX512
	}
	return LevelAVX2
}

//go:noescape
func PackT8x8(kc int, src *float64, ld int, dst *float64, ds int)

//go:noescape
func PackT4x4(kc int, src *float64, ld int, dst *float64, ds int)

//go:noescape
func PackT4x4s(kc int, src *float64, ld int, dst *float32, ds int)

//go:noescape
func NarrowRows4(rows, n4 int, src *float64, ld int, dst *float32, ds int)
