//go:build !amd64 || purego

package kernels

// The x86-only kernels, off amd64 or with purego: the stubs below are never
// called, because runtime uses them only on LevelAVX2 and LevelAVX512.

func Gemm8x24(k int, a, b, c *float64, ldc int, alpha, beta float64, rows int, masks *uint16) {
	panic("unreachable")
}
func Gather64(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int) {
	panic("unreachable")
}
func Gather32(m int, start, idx *int32, vals *float64, b, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int) {
	panic("unreachable")
}
func Gather64s(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *uint16, unit int) {
	panic("unreachable")
}
func Narrow16(n int, src *float64, dst *float32) { panic("unreachable") }
func Gemm4x24s(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *int64) {
	panic("unreachable")
}
func Gather64sx2(m int, start, idx *int32, vals *float32, b *float32, c *float64, ldc int, alpha, beta float64, masks *int64, unit int) {
	panic("unreachable")
}
func Narrow4x2(n int, src *float64, dst *float32)               { panic("unreachable") }
func Axpy8sx2(n int, y, a *float32, offs *int64, coef *float32) { panic("unreachable") }
func Gemm8x32s(k int, a, b *float32, c *float64, ldc int, alpha, beta float64, rows int, masks *uint16) {
	panic("unreachable")
}
func CountNZ(n int, x *float64) int { panic("unreachable") }
func CompressNZ(n int, x *float64, stride int, scale int, idx *int32, vals *float64) (cnt int, nonunit int) {
	panic("unreachable")
}
func CountNZx2(n int, x *float64) int { panic("unreachable") }
func CompressNZx2(n int, x *float64, stride int, scale int, idx *int32, vals *float64) (cnt int, nonunit int) {
	panic("unreachable")
}
func PackT8(kc int, src *float64, ld int, rows int, dst *float64, ds int) { panic("unreachable") }
func Axpy8(n int, y, a *float64, offs *int64, coef *float64)              { panic("unreachable") }
func BernoulliRows8(n int, rngs *[4]uint64, x *float64, stride int)       { panic("unreachable") }
func AxpyUnitary(n int, alpha float64, x, y *float64)                     { panic("unreachable") }
func Axpy8s(n int, y, a *float32, offs *int64, coef *float32)             { panic("unreachable") }
func dot4(n int, a *float64, lda int, x *float64, out *float64)           { panic("unreachable") }
func PackT8x8(kc int, src *float64, ld int, dst *float64, ds int)         { panic("unreachable") }

func PackT4x4(kc int, src *float64, ld int, dst *float64, ds int)          { panic("unreachable") }
func PackT4x4s(kc int, src *float64, ld int, dst *float32, ds int)         { panic("unreachable") }
func NarrowRows4(rows, n4 int, src *float64, ld int, dst *float32, ds int) { panic("unreachable") }
