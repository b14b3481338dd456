package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// expCoef are the Taylor coefficients 1/i! (i = 2 … 12) of the AVX2 and
// NEON e^x kernels, as their tables hold them.
var expCoef = [...]float64{
	12: 2.08767569878681e-09, 11: 2.505210838544172e-08, 10: 2.755731922398589e-07,
	9: 2.7557319223985893e-06, 8: 2.48015873015873e-05, 7: 0.0001984126984126984,
	6: 0.001388888888888889, 5: 0.008333333333333333, 4: 0.041666666666666664,
	3: 0.16666666666666666, 2: 0.5,
}

// expRef is the e^x of the AVX2 and NEON kernels in Go, operation for
// operation: x clamped to [−708, 709], k = x·log2 e rounded to nearest
// even, r = x − k·ln2hi − k·ln2lo (fused), p(r) by Horner's rule with
// fused steps down to degree 2 and two more for 1·r + 1, times 2^k; deg is
// the degree of p (12 in the kernels; lower in the negative control).
func expRef(x float64, deg int) float64 {
	x = min(max(x, -708), 709)
	k := math.RoundToEven(x * 1.4426950408889634)
	r := math.FMA(-k, 0.6931471803691238, x)
	r = math.FMA(-k, 1.9082149292705877e-10, r)
	p := expCoef[deg]
	for i := deg - 1; i >= 2; i-- {
		p = math.FMA(p, r, expCoef[i])
	}
	p = math.FMA(p, r, 1)
	p = math.FMA(p, r, 1)
	if math.IsNaN(p) {
		return p
	}
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// log1pCoef are the coefficients 2/(2n+1), n = 0 … 9, of the kernels' log1p.
var log1pCoef = [...]float64{2.0, 0.6666666666666666, 0.4, 0.2857142857142857,
	0.2222222222222222, 0.18181818181818182, 0.15384615384615385,
	0.13333333333333333, 0.11764705882352941, 0.10526315789473684}

// softplusRef is one term of the AVX2 and NEON softplus sums in Go,
// operation for operation: max(y, 0) + log1p(e^{−|y|}), log1p(u) on [0, 1]
// as 2·atanh(s) by the series of log1pCoef (plus ln 2 past √2 − 1).
func softplusRef(y float64, deg int) float64 {
	u := expRef(0-math.Abs(y), deg)
	small := 0.41421356237309503 > u
	num, den, ln2 := u-1, 3+u, 0.6931471805599453
	if small {
		num, den, ln2 = u, 2+u, 0
	}
	s := num / den
	s2 := s * s
	p := log1pCoef[9]
	for i := 8; i >= 0; i-- {
		p = math.FMA(p, s2, log1pCoef[i])
	}
	l := float64(p*s) + ln2 // rounded as the kernels do (arm64 Go would fuse it)
	return l + max(y, 0)
}

// softplusSumRef is the kernels' sum of softplusRef(scale·x[i]) over the
// first n (a multiple of 4) values: four lane sums, then (s0 + s2) + (s1 + s3).
func softplusSumRef(x []float64, n int, scale float64, deg int) float64 {
	var lane [4]float64
	for i := 0; i < n; i += 4 {
		for l := range lane {
			lane[l] += softplusRef(scale*x[i+l], deg)
		}
	}
	return (lane[0] + lane[2]) + (lane[1] + lane[3])
}

func sameFloat(x, y float64) bool {
	return math.Float64bits(x) == math.Float64bits(y) || math.IsNaN(x) && math.IsNaN(y)
}

// expInputs returns n values over the clamped range and beyond, with the
// special values first.
func expInputs(n int) []float64 {
	r := rand.New(rand.NewPCG(21, 22))
	x := []float64{0, math.Copysign(0, -1), 1, -1, -708, 709, -708.5, 710, -1e300, 1e300,
		math.Inf(1), math.Inf(-1), math.NaN(), 0.5 * math.Ln2, -0.5 * math.Ln2, 1e-300, 37}
	for len(x) < n {
		x = append(x, 1500*r.Float64()-750, 40*r.Float64()-20)
	}
	return x[:n]
}

// vmathLevels returns the levels whose Exp and Sigmoid run the kernels of
// expRef (AVX2 on amd64, NEON on arm64), or skips.
func vmathLevels(t *testing.T) []int {
	var ls []int
	for _, l := range []int{LevelAVX2, LevelNEON} {
		if Supported(l) {
			ls = append(ls, l)
		}
	}
	if len(ls) == 0 {
		t.Skip("no vector e^x kernel on this CPU (or -tags purego)")
	}
	return ls
}

// checkExpKernel compares Exp, Sigmoid and SoftplusSum (scale −0.7) on x
// with expRef of degree deg, to the bit; it returns the first mismatch's
// index (the last one for the sum) or −1.
func checkExpKernel(x []float64, deg int) (int, string) {
	got := make([]float64, len(x))
	n := Exp(got, x)
	if n != len(x)&^3 {
		return 0, "Exp count"
	}
	for i := range n {
		if !sameFloat(got[i], expRef(x[i], deg)) {
			return i, "Exp"
		}
	}
	const scale = -0.7
	if Sigmoid(got, x, scale) != n {
		return 0, "Sigmoid count"
	}
	for i := range n {
		if want := 1 / (1 + expRef(-scale*x[i], deg)); !sameFloat(got[i], want) {
			return i, "Sigmoid"
		}
	}
	s, m := SoftplusSum(x, scale)
	if m != n {
		return 0, "SoftplusSum count"
	}
	if !sameFloat(s, softplusSumRef(x, n, scale, deg)) {
		return n - 1, "SoftplusSum"
	}
	return -1, ""
}

// The vector e^x, σ and softplus sum agree to the bit with the references, on amd64 (AVX2) and
// arm64 (NEON) alike, over 4099 inputs (a tail of 3 left to the caller).
func TestExpKernel(t *testing.T) {
	defer SetLevel(SetLevel(Level))
	x := expInputs(4099)
	for _, l := range vmathLevels(t) {
		SetLevel(l)
		if i, f := checkExpKernel(x, 12); i >= 0 {
			t.Fatalf("level %d: %s(%g) differs from the reference", l, f, x[i])
		}
	}
}

// Negative control: the same comparison with a reference polynomial of
// degree 11 fails.
func TestExpKernelControl(t *testing.T) {
	defer SetLevel(SetLevel(Level))
	x := expInputs(4099)
	for _, l := range vmathLevels(t) {
		SetLevel(l)
		if i, _ := checkExpKernel(x, 11); i < 0 {
			t.Fatalf("level %d: a degree-11 reference matched the kernels", l)
		}
	}
}
