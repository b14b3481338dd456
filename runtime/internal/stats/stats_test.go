package stats

import (
	"math"
	"testing"
)

func TestChiSquareCritical(t *testing.T) {
	// Published 0.9999 quantiles of χ².
	for _, c := range []struct {
		df   int
		want float64
	}{{1, 15.137}, {3, 21.108}, {10, 35.564}} {
		if got := ChiSquareCritical(c.df); math.Abs(got-c.want) > 0.01 {
			t.Errorf("ChiSquareCritical(%d) = %.3f, want %.3f", c.df, got, c.want)
		}
	}
	// Published 0.999 quantiles.
	for _, c := range []struct {
		df int
		x  float64
	}{{3, 16.266}, {30, 59.703}, {100, 149.449}} {
		if got := ChiSquareCDF(c.x, c.df); math.Abs(got-0.999) > 1e-5 {
			t.Errorf("ChiSquareCDF(%g, %d) = %.6f, want 0.999", c.x, c.df, got)
		}
	}
}
