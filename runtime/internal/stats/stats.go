package stats

import (
	"math"
	"slices"
)

// KishESS is Kish's effective sample size (Σw)²/Σw² of the weights
// w = exp(lw), computed from the log weights without overflow; 0 when lw is
// empty, NaN when the largest log weight is not finite.
func KishESS(lw []float64) float64 {
	if len(lw) == 0 {
		return 0
	}
	mx, m1, m2 := ExpMoments(lw)
	if math.IsInf(mx, 0) || math.IsNaN(mx) {
		return math.NaN()
	}
	return float64(len(lw)) * m1 * m1 / m2
}

// ExpMoments returns max(t) and the first two moments of exp(t − max(t)).
func ExpMoments(t []float64) (mx, m1, m2 float64) {
	mx = slices.Max(t)
	for _, v := range t {
		w := math.Exp(v - mx)
		m1 += w
		m2 += w * w
	}
	n := float64(len(t))
	return mx, m1 / n, m2 / n
}

// Mean is the arithmetic mean of x (NaN when x is empty).
func Mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// MeanSE returns the mean of x and its standard error, the sample standard
// deviation over √len(x) (NaN for fewer than two values).
func MeanSE(x []float64) (m, se float64) {
	m = Mean(x)
	if len(x) < 2 {
		return m, math.NaN()
	}
	ss := 0.0
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(x)-1) / float64(len(x)))
}
