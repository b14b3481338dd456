package runtime

import (
	"math"
	"testing"
)

// Statistical helpers shared by the tests. The chi-square tests use
// α = 1e-4: with fixed seeds a correct generator passes with a wide margin,
// while a biased one exceeds the critical value.

// chiSquareCDF returns P(χ²_df ≤ x), the regularised lower incomplete gamma
// function P(df/2, x/2), by its power series.
func chiSquareCDF(x float64, df int) float64 {
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

// chiSquareCritical returns the (1 − 1e-4) quantile of χ² with df degrees
// of freedom, by bisection on chiSquareCDF.
func chiSquareCritical(df int) float64 {
	lo, hi := 0.0, 10*float64(df)+100
	for range 200 {
		mid := (lo + hi) / 2
		if chiSquareCDF(mid, df) < 1-1e-4 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// chiSquare returns Σ (observed − expected)² / expected.
func chiSquare(observed []int, expected []float64) float64 {
	var s float64
	for i, o := range observed {
		d := float64(o) - expected[i]
		s += d * d / expected[i]
	}
	return s
}

func TestChiSquareCritical(t *testing.T) {
	// Published 0.9999 quantiles of χ².
	for _, c := range []struct {
		df   int
		want float64
	}{{1, 15.137}, {3, 21.108}, {10, 35.564}} {
		if got := chiSquareCritical(c.df); math.Abs(got-c.want) > 0.01 {
			t.Errorf("chiSquareCritical(%d) = %.3f, want %.3f", c.df, got, c.want)
		}
	}
	// Published 0.999 quantiles.
	for _, c := range []struct {
		df int
		x  float64
	}{{3, 16.266}, {30, 59.703}, {100, 149.449}} {
		if got := chiSquareCDF(c.x, c.df); math.Abs(got-0.999) > 1e-5 {
			t.Errorf("chiSquareCDF(%g, %d) = %.6f, want 0.999", c.x, c.df, got)
		}
	}
}
