//go:build (!amd64 && !arm64) || purego

package kernels

// Without assembly every kernel runs in Go: detectLevel reports LevelGo and
// the stubs below (the kernels that both amd64 and arm64 implement) are
// never called.

func detectLevel() int { return LevelGo }

func SpinPause() {}

func Gemm4x12(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *int64) {
	panic("unreachable")
}
func Gather32x2(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *int64, unit int) {
	panic("unreachable")
}
func Axpy8x2(n int, y, a *float64, offs *int64, coef *float64)    { panic("unreachable") }
func dot4x2(n int, a *float64, lda int, x *float64, out *float64) { panic("unreachable") }
