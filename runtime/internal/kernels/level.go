package kernels

// Kernel levels: which implementation the dense kernels use. Level is
// detected once at start (kernels_amd64.go) and lowered only by tests, to
// exercise the AVX2 and pure-Go paths on any machine.
const (
	LevelGo     = iota // portable Go
	LevelAVX2          // AVX2 + FMA assembly
	LevelAVX512        // AVX-512 (F, DQ, BW, VL) assembly
)

var (
	// CPULevel is the best level the CPU and the OS support.
	CPULevel = detectLevel()
	// Level is the level the kernels use: CPULevel unless a test lowered it
	// with SetLevel.
	Level = CPULevel
)

// SetLevel selects the kernels used from now on, at most the CPU's
// level, and returns the previous level. Tests only: not safe to call while
// kernels run.
func SetLevel(l int) int {
	old := Level
	Level = max(LevelGo, min(l, CPULevel))
	return old
}

// DotRows4 sets out[t] = Σ_{j<n} a[t·lda + j]·x[j] for t < 4.
func DotRows4(lv, n int, a []float64, lda int, x []float64, out *[4]float64) {
	_ = a[3*lda+n-1]
	_ = x[n-1]
	switch lv {
	case LevelAVX512:
		dot4(n, &a[0], lda, &x[0], &out[0])
		return
	case LevelAVX2:
		n4 := n &^ 3
		if n4 > 0 {
			dot4x2(n4, &a[0], lda, &x[0], &out[0])
		} else {
			*out = [4]float64{}
		}
		for t := range 4 {
			r := a[t*lda:]
			for j := n4; j < n; j++ {
				out[t] += r[j] * x[j]
			}
		}
		return
	}
	for t := range 4 {
		out[t] = Dot(x[:n], a[t*lda:t*lda+n])
	}
}

// Dot returns Σ x[i]·y[i] with len(y) ≥ len(x).
func Dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}
