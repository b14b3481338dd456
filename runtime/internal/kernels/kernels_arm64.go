//go:build arm64 && !purego

package kernels

// Stubs of the NEON kernels (gemm, gather, dot, axpy and cpu _arm64.s
// files) and the level detection: Advanced SIMD is part of every arm64
// CPU (ARMv8-A makes it mandatory), so LevelNEON needs no feature test.
// The x86-only kernels keep their unreachable stubs (kernels_noasm.go);
// runtime calls, on LevelNEON, only the kernels below and Go otherwise.

func detectLevel() int { return LevelNEON }

func SpinPause()

//go:noescape
func Gemm4x12(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64)

//go:noescape
func Gather32x2(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *int64, unit int)

//go:noescape
func Axpy8x2(n int, y, a *float64, offs *int64, coef *float64)

//go:noescape
func dot4x2(n int, a *float64, lda int, x *float64, out *float64)
