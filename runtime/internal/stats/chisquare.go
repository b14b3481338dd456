package stats

import "math"

// Statistical helpers shared by the tests. The chi-square tests use
// α = 1e-4: with fixed seeds a correct generator passes with a wide margin,
// while a biased one exceeds the critical value.

// ChiSquareCDF returns P(χ²_df ≤ x), the regularised lower incomplete gamma
// function P(df/2, x/2), by its power series.
func ChiSquareCDF(x float64, df int) float64 {
	if x <= 0 {
		return 0
	}
	a, z := float64(df)/2, x/2
	term := 1 / a
	sum := term
	for n := 1.0; term > 1e-17*sum; n++ {
		term *= z / (a + n)
		sum += term
	}
	lg, _ := math.Lgamma(a)
	return sum * math.Exp(-z+a*math.Log(z)-lg)
}

// ChiSquareCritical returns the (1 − 1e-4) quantile of χ² with df degrees
// of freedom, by bisection on ChiSquareCDF.
func ChiSquareCritical(df int) float64 {
	lo, hi := 0.0, 10*float64(df)+100
	for range 200 {
		mid := (lo + hi) / 2
		if ChiSquareCDF(mid, df) < 1-1e-4 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// ChiSquare returns Σ (observed − expected)² / expected.
func ChiSquare(observed []int, expected []float64) float64 {
	var s float64
	for i, o := range observed {
		d := float64(o) - expected[i]
		s += d * d / expected[i]
	}
	return s
}
