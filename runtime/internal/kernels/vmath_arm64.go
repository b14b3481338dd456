//go:build arm64 && !purego

package kernels

//go:noescape
func expNEON(n int, dst, src *float64)

//go:noescape
func sigmoidNEON(n int, dst, src *float64, scale float64)

// Exp writes e^src[i] into dst[i] for the largest multiple of 4 elements
// it can and returns how many it wrote (none below LevelNEON).
func Exp(dst, src []float64) int {
	n := len(src) &^ 3
	if Level != LevelNEON || n == 0 {
		return 0
	}
	_ = dst[n-1]
	expNEON(n, &dst[0], &src[0])
	return n
}

// Sigmoid writes σ(scale·src[i]) into dst[i] like Exp.
func Sigmoid(dst, src []float64, scale float64) int {
	n := len(src) &^ 3
	if Level != LevelNEON || n == 0 {
		return 0
	}
	_ = dst[n-1]
	sigmoidNEON(n, &dst[0], &src[0], scale)
	return n
}

//go:noescape
func softplusSumNEON(n int, src *float64, scale float64) float64

// SoftplusSum returns Σ softplus(scale·src[i]) over the largest multiple of
// 4 elements it can, and how many that was.
func SoftplusSum(src []float64, scale float64) (float64, int) {
	n := len(src) &^ 3
	if Level != LevelNEON || n == 0 {
		return 0, 0
	}
	return softplusSumNEON(n, &src[0], scale), n
}
