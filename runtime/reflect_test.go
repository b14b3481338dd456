package runtime

import (
	"math"
	"testing"
)

// TestUnitKindDraw draws n states of a layer of each kind from fixed
// fields and compares every unit's mean with its conditional mean, within
// 4.5 standard errors of n draws: σ(a) for bernoulli units, tanh(a) for
// spins, a/P for gaussian ones and exp(a_c)/Σ exp(a) for each category of
// a softmax group. Control: the spin's mean taken as σ(a), the bernoulli
// one's, misses.
func TestUnitKindDraw(t *testing.T) {
	const n = 40000
	a := []float64{-1.5, 0, 0.7, 2}
	prec := []float64{0.5, 1, 2, 4}
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	soft := func(g []float64) []float64 {
		out, s := make([]float64, len(g)), 0.0
		for i, v := range g {
			out[i] = math.Exp(v)
			s += out[i]
		}
		for i := range out {
			out[i] /= s
		}
		return out
	}
	cases := []struct {
		kind UnitKind
		size int
		mean []float64 // of each unit
		sd   []float64 // of one draw of each unit
	}{
		{KindBernoulli, 1, []float64{sig(-1.5), sig(0), sig(0.7), sig(2)}, nil},
		{KindSpin, 1, []float64{math.Tanh(-1.5), 0, math.Tanh(0.7), math.Tanh(2)}, nil},
		{KindGaussian, 1, []float64{-3, 0, 0.35, 0.5}, []float64{math.Sqrt(2), 1, math.Sqrt(0.5), 0.5}},
		{KindSoftmax, 2, append(soft(a[:2]), soft(a[2:])...), nil},
	}
	rng := NewRNG(9, 1)
	for _, c := range cases {
		sum, dst := make([]float64, len(a)), make([]float64, len(a))
		for range n {
			c.kind.Draw(&rng, c.size, a, prec, dst)
			for i, v := range dst {
				sum[i] += v
			}
		}
		for i, want := range c.mean {
			sd := math.Sqrt(want * (1 - want)) // bernoulli and softmax categories
			switch {
			case c.sd != nil:
				sd = c.sd[i]
			case c.kind == KindSpin:
				sd = math.Sqrt(1 - want*want)
			}
			got := sum[i] / n
			if tol := 4.5*sd/math.Sqrt(n) + 1e-12; math.Abs(got-want) > tol {
				t.Errorf("%s unit %d: mean %.4f, want %.4f ± %.4f", c.kind, i, got, want, tol)
			}
			if c.kind == KindSpin && i == 3 {
				if wrong := sig(a[i]); math.Abs(got-wrong) < 4.5*sd/math.Sqrt(n) {
					t.Errorf("control: the spin's mean %.4f is also σ(a) = %.4f", got, wrong)
				}
			}
		}
	}
}

func TestLayerInfoUnits(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  int
	}{{nil, 1}, {[]int{784}, 784}, {[]int{3, 4}, 12}, {[]int{2, 3, 5}, 30}} {
		if got := (LayerInfo{Shape: c.shape}).Units(); got != c.want {
			t.Errorf("Units of shape %v = %d, want %d", c.shape, got, c.want)
		}
	}
}
