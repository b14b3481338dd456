//go:build amd64 && !purego

package kernels

//go:noescape
func expAVX2(n int, dst, src *float64)

//go:noescape
func sigmoidAVX2(n int, dst, src *float64, scale float64)

//go:noescape
func sigmoidAVX512(n int, dst, src *float64, scale float64)

// Exp writes e^src[i] into dst[i] for the largest multiple of 4 elements
// it can and returns how many it wrote.
func Exp(dst, src []float64) int {
	n := len(src) &^ 3
	if Level < LevelAVX2 || n == 0 {
		return 0
	}
	expAVX2(n, &dst[0], &src[0])
	return n
}

// Sigmoid writes σ(scale·src[i]) into dst[i] like Exp, eight lanes at a
// time with AVX-512.
func Sigmoid(dst, src []float64, scale float64) int {
	if n := len(src) &^ 7; Level == LevelAVX512 && n > 0 {
		sigmoidAVX512(n, &dst[0], &src[0], scale)
		return n
	}
	n := len(src) &^ 3
	if Level < LevelAVX2 || n == 0 {
		return 0
	}
	sigmoidAVX2(n, &dst[0], &src[0], scale)
	return n
}

//go:noescape
func softplusSumAVX2(n int, src *float64, scale float64) float64

//go:noescape
func softplusSumAVX512(n int, src *float64, scale float64) float64

// SoftplusSum returns Σ softplus(scale·src[i]) over the largest multiple of
// 8 (AVX-512) or 4 (AVX2) elements it can, and how many that was.
func SoftplusSum(src []float64, scale float64) (float64, int) {
	if n := len(src) &^ 7; Level == LevelAVX512 && n > 0 {
		return softplusSumAVX512(n, &src[0], scale), n
	}
	n := len(src) &^ 3
	if Level < LevelAVX2 || n == 0 {
		return 0, 0
	}
	return softplusSumAVX2(n, &src[0], scale), n
}
