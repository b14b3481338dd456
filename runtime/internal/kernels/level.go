package kernels

// Kernel levels: which implementation the dense kernels use. Level is
// detected once at start (kernels_amd64.go, kernels_arm64.go) and lowered
// only by tests, to exercise the lower levels and the pure-Go path on any
// machine. The numbers name levels, they do not order them across
// architectures: an amd64 CPU runs LevelGo and the x86 levels up to its
// own, an arm64 CPU LevelGo and LevelNEON (Levels).
const (
	LevelGo     = iota // portable Go
	LevelAVX2          // AVX2 + FMA assembly
	LevelAVX512        // AVX-512 (F, DQ, BW, VL) assembly
	LevelNEON          // arm64 Advanced SIMD (NEON) assembly
)

var (
	// CPULevel is the best level the CPU and the OS support.
	CPULevel = detectLevel()
	// Level is the level the kernels use: CPULevel unless a test lowered it
	// with SetLevel.
	Level = CPULevel
)

// SetLevel selects the kernels of level l from now on and returns the
// previous level. A level the CPU cannot run falls back to the next lower
// one of its family (AVX-512 to AVX2, AVX2 and NEON to Go), so that
// SetLevel(LevelAVX512) on an AVX2 machine gives LevelAVX2 and any x86 level
// on arm64 gives LevelGo. Tests only: not safe to call while kernels run.
func SetLevel(l int) int {
	old := Level
	for !Supported(l) {
		l = fallback(l)
	}
	Level = l
	return old
}

// Supported reports whether this CPU runs the kernels of level l.
func Supported(l int) bool {
	switch l {
	case LevelGo:
		return true
	case LevelAVX2:
		return CPULevel == LevelAVX2 || CPULevel == LevelAVX512
	case LevelAVX512, LevelNEON:
		return CPULevel == l
	}
	return false
}

// fallback returns the level a CPU without level l runs instead.
func fallback(l int) int {
	if l == LevelAVX512 {
		return LevelAVX2
	}
	return LevelGo
}

// Levels returns the levels this CPU runs, LevelGo first and CPULevel last.
func Levels() []int {
	var ls []int
	for _, l := range []int{LevelGo, LevelAVX2, LevelAVX512, LevelNEON} {
		if Supported(l) {
			ls = append(ls, l)
		}
	}
	return ls
}

// DotRows4 sets out[t] = Σ_{j<n} a[t·lda + j]·x[j] for t < 4.
func DotRows4(lv, n int, a []float64, lda int, x []float64, out *[4]float64) {
	_ = a[3*lda+n-1]
	_ = x[n-1]
	switch lv {
	case LevelAVX512:
		dot4(n, &a[0], lda, &x[0], &out[0])
		return
	case LevelAVX2, LevelNEON:
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
