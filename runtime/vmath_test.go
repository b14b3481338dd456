package runtime

import (
	"math"
	"testing"
)

// TestExps holds the vector exponential to ExpMaxRelError against math.Exp
// over its whole range, at the clamps and for special values, on every
// kernel level the machine has.
func TestExps(t *testing.T) {
	rng := NewRNG(1, 0)
	var x []float64
	for range 200000 {
		x = append(x, -708+1417*rng.Float64())
	}
	for range 20000 {
		x = append(x, 20*rng.Normal())
	}
	x = append(x, 0, -0.0, 1, -1, 0.5*math.Ln2, -0.5*math.Ln2, -708, 709, 708.99, -707.99)
	for _, l := range levels() {
		got := make([]float64, len(x))
		withLevel(l, func() { Exps(got, x) })
		worst := 0.0
		for i, v := range x {
			want := math.Exp(v)
			if rel := math.Abs(got[i]-want) / want; rel > worst {
				worst = rel
			}
		}
		if worst > ExpMaxRelError {
			t.Errorf("level %d: largest relative error %.3g, more than %.3g", l, worst, ExpMaxRelError)
		}
		t.Logf("level %d: largest relative error %.3g over %d values", l, worst, len(x))
		special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -800, 800, 1, 2, 3}
		out := make([]float64, len(special))
		withLevel(l, func() { Exps(out, special) })
		if !math.IsNaN(out[0]) || out[2] > 1e-300 || out[3] > 1e-300 || out[4] < 1e307 {
			t.Errorf("level %d: e^{NaN, +Inf, −Inf, −800, 800} = %v", l, out[:5])
		}
	}
}

// TestSigmoids holds the vector logistic function to SigmoidMaxAbsError
// and full relative accuracy in its tails.
func TestSigmoids(t *testing.T) {
	rng := NewRNG(2, 0)
	var x []float64
	for range 200000 {
		x = append(x, 30*rng.Normal())
	}
	x = append(x, 0, 1e-300, -745, 745, 36, -36)
	for _, l := range levels() {
		for _, scale := range []float64{1, 0.37, -2} {
			got := make([]float64, len(x))
			withLevel(l, func() { Sigmoids(got, x, scale) })
			worstAbs, worstRel := 0.0, 0.0
			for i, v := range x {
				want := Sigmoid(scale * v)
				worstAbs = math.Max(worstAbs, math.Abs(got[i]-want))
				if want > 1e-300 && scale*v > -700 {
					worstRel = math.Max(worstRel, math.Abs(got[i]-want)/want)
				}
			}
			if worstAbs > SigmoidMaxAbsError || worstRel > 4*ExpMaxRelError {
				t.Errorf("level %d, scale %g: largest errors %.3g absolute, %.3g relative", l, scale, worstAbs, worstRel)
			}
		}
	}
}

// TestSoftplusSum checks each term (sums of eight, the widest vector)
// against Softplus to SoftplusMaxRelError, and a long sum.
func TestSoftplusSum(t *testing.T) {
	rng := NewRNG(3, 0)
	var x []float64
	for range 100000 {
		x = append(x, 20*rng.Normal())
	}
	x = append(x, 0, 0, 0, 0, 1e-300, -1e-300, 745, -745, 0.34657, -0.34657, 0.8813, -0.8813, 40, -40, 1, -1)
	for _, l := range levels() {
		for _, scale := range []float64{1, -0.7} {
			worst := 0.0
			for i := 0; i+8 <= len(x); i += 8 {
				var got float64
				withLevel(l, func() { got = SoftplusSum(x[i:i+8], scale) })
				want := 0.0
				for _, v := range x[i : i+8] {
					want += Softplus(scale * v)
				}
				worst = math.Max(worst, math.Abs(got-want)/want)
			}
			if worst > SoftplusMaxRelError {
				t.Errorf("level %d, scale %g: largest relative error %.3g of a sum of eight", l, scale, worst)
			}
			t.Logf("level %d, scale %g: largest relative error %.3g", l, scale, worst)
			var got float64
			withLevel(l, func() { got = SoftplusSum(x[:1001], scale) })
			want := 0.0
			for _, v := range x[:1001] {
				want += Softplus(scale * v)
			}
			if math.Abs(got-want) > 1e-12*want {
				t.Errorf("level %d: sum of 1001 terms %.17g, scalar %.17g", l, got, want)
			}
		}
		var nan float64
		withLevel(l, func() { nan = SoftplusSum([]float64{1, math.NaN(), 2, 3, 4, 5, 6, 7}, 1) })
		if !math.IsNaN(nan) {
			t.Errorf("level %d: a NaN term gave %g", l, nan)
		}
	}
}

func BenchmarkSoftplusSum(b *testing.B) {
	x := make([]float64, 784)
	rng := NewRNG(3, 0)
	for i := range x {
		x[i] = 3 * rng.Normal()
	}
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			s := 0.0
			for _, v := range x {
				s += Softplus(v)
			}
			_ = s
		}
	})
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			SoftplusSum(x, 1)
		}
	})
}

func BenchmarkSigmoids(b *testing.B) {
	x, dst := make([]float64, 500), make([]float64, 500)
	rng := NewRNG(3, 0)
	for i := range x {
		x[i] = 3 * rng.Normal()
	}
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				dst[i] = Sigmoid(v)
			}
		}
	})
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			Sigmoids(dst, x, 1)
		}
	})
}

// Tanhs is tanh to within twice the sigmoid's error; Relax moves each mean
// the fraction 1 − damping toward its target and returns the largest move,
// NaN when a move is NaN.
func TestTanhsAndRelax(t *testing.T) {
	src := []float64{-40, -3, -0.5, -1e-9, 0, 1e-9, 0.25, 2, 35}
	dst := make([]float64, len(src))
	Tanhs(dst, src, 1.5)
	for i, x := range src {
		if want := math.Tanh(1.5 * x); math.Abs(dst[i]-want) > 2*SigmoidMaxAbsError+4e-16 {
			t.Errorf("Tanhs(%g) = %.17g, want %.17g", x, dst[i], want)
		}
	}
	mu := []float64{0, 0.5, 1}
	target := []float64{1, 0.5, 0}
	if got := Relax(mu, target, 0.25); got != 0.75 || mu[0] != 0.75 || mu[1] != 0.5 || mu[2] != 0.25 {
		t.Errorf("Relax with damping 0.25: largest move %g, means %v; want 0.75, [0.75 0.5 0.25]", got, mu)
	}
	mu = []float64{0, 0, 0}
	if got := Relax(mu, []float64{0.1, math.NaN(), 0.2}, 0); !math.IsNaN(got) {
		t.Errorf("Relax toward a NaN target returned %g, want NaN", got)
	}
}
