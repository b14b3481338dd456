//go:build amd64 && !purego

package runtime

// Assembly kernels (kernels_amd64.s) and the CPU feature detection that
// chooses among them.

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)
func spinPause()

//go:noescape
func gemm8x24(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *uint16)

//go:noescape
func gemm4x12(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64)

//go:noescape
func gather64(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int)

//go:noescape
func gather32(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int)

//go:noescape
func gather32x2(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *int64, unit int)

//go:noescape
func gather64s(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int)

//go:noescape
func gemm8x32s(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *uint16)

//go:noescape
func narrow16(n int, src *float64, dst *float32)

//go:noescape
func countNZ(n int, x *float64) int

//go:noescape
func compressNZ(n int, x *float64, stride int, scale int, idx *int32, vals *float64) (cnt int, nonunit int)

//go:noescape
func packT8(kc int, src *float64, ld int, rows int, dst *float64, ds int)

//go:noescape
func axpy8(n int, y, a *float64, offs *int64, coef *float64)

//go:noescape
func bernoulliRows8(n int, rngs *RNG, x *float64, stride int)

//go:noescape
func axpyUnitary(n int, alpha float64, x, y *float64)

//go:noescape
func axpy8s(n int, y, a *float32, offs *int64, coef *float32)

//go:noescape
func axpy8x2(n int, y, a *float64, offs *int64, coef *float64)

//go:noescape
func dot4(n int, a *float64, lda int, x *float64, out *float64)

//go:noescape
func dot4x2(n int, a *float64, lda int, x *float64, out *float64)

// detectLevel returns levelAVX512 when the CPU has AVX-512 F, DQ, BW and VL
// (and the OS saves the ZMM state), levelAVX2 with AVX2, FMA and OS support
// for the YMM state, levelGo otherwise.
func detectLevel() int {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return levelGo
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return levelGo
	}
	xcr0, _ := xgetbv()
	if xcr0&6 != 6 { // XMM and YMM state
		return levelGo
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
		return levelGo
	}
	if ebx7&(avx512f|avx512dq|avx512bw|avx512vl) == avx512f|avx512dq|avx512bw|avx512vl && xcr0&0xe6 == 0xe6 {
		return levelAVX512
	}
	return levelAVX2
}

//go:noescape
func packT8x8(kc int, src *float64, ld int, dst *float64, ds int)

//go:noescape
func packT4x4(kc int, src *float64, ld int, dst *float64, ds int)
