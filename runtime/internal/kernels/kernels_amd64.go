//go:build amd64 && !purego

package kernels

// Stubs of the assembly kernels, one .s file per family (cpu, gemm, gather,
// sparse, pack, axpy, dot, bernoulli), and the CPU feature detection that
// chooses among them.

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)
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
func CountNZ(n int, x *float64) int

//go:noescape
func CompressNZ(n int, x *float64, stride int, scale int, idx *int32, vals *float64) (cnt int, nonunit int)

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
func dot4(n int, a *float64, lda int, x *float64, out *float64)

//go:noescape
func dot4x2(n int, a *float64, lda int, x *float64, out *float64)

// detectLevel returns LevelAVX512 when the CPU has AVX-512 F, DQ, BW and VL
// (and the OS saves the ZMM state), LevelAVX2 with AVX2, FMA and OS support
// for the YMM state, LevelGo otherwise.
func detectLevel() int {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return LevelGo
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return LevelGo
	}
	xcr0, _ := xgetbv()
	if xcr0&6 != 6 { // XMM and YMM state
		return LevelGo
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const (
		avx2     = 1 << 5
		bmi2     = 1 << 8
		avx512f  = 1 << 16
		avx512dq = 1 << 17
		avx512bw = 1 << 30
		avx512vl = 1 << 31
	)
	if ebx7&avx2 == 0 {
		return LevelGo
	}
	if ebx7&(avx512f|avx512dq|avx512bw|avx512vl) == avx512f|avx512dq|avx512bw|avx512vl && xcr0&0xe6 == 0xe6 {
		return LevelAVX512
	}
	return LevelAVX2
}

//go:noescape
func PackT8x8(kc int, src *float64, ld int, dst *float64, ds int)

//go:noescape
func PackT4x4(kc int, src *float64, ld int, dst *float64, ds int)
