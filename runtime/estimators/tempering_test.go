package estimators_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
)

// pathMeans returns, by enumeration of the 6 visible units of the test
// RBM, the mean of every visible unit under p_β(v) ∝ exp(−F_β(v))·p_A(v)^{1−β},
// the visible marginal of the geometric path from base.
func pathMeans(t *testing.T, m runtime.Reflective, base *estimators.Base, beta float64) []float64 {
	t.Helper()
	const nv = 6
	x := m.NewChains(1<<nv, 0)
	v := x.Layers()[0].Data
	for s := range 1 << nv {
		for u := range nv {
			v[s*nv+u] = float64(s >> u & 1)
		}
	}
	logp := make([]float64, 1<<nv)
	m.FreeEnergy(x, estimators.VisibleFreeEnergy(m), beta, logp)
	for s := range logp {
		logp[s] = -logp[s]
	}
	base.LogDensity(m, x, beta, logp)
	lz := runtime.LogSumExp(logp)
	mean := make([]float64, nv)
	for s, l := range logp {
		for u := range nv {
			mean[u] += math.Exp(l-lz) * v[s*nv+u]
		}
	}
	return mean
}

// TestTemperingPath: a ladder on the geometric path from a base model with
// strong fields (±2) samples at every rung the path's distribution: after
// 300 sweeps with swaps, the visible means of 4000 chains at each rung of
// 1, 2/3, 1/3, 0 match the enumerated ones within 4 standard errors
// (√(p(1−p)/4000) ≤ 0.008). Negative control: with the swaps' base term
// dropped (plain tempering's rule, while the sweeps keep the base), some
// rung is more than 4 standard errors off.
func TestTemperingPath(t *testing.T) {
	m := strongRBM()
	base := estimators.Uniform(m)
	for u := range base.Field[0] {
		base.Field[0][u] = 2 * float64(1-2*(u%2))
	}
	betas := estimators.LinearLadder(4)
	const n = 4000
	worst := func(pt *estimators.Tempering) float64 {
		for range 300 {
			pt.Sweep()
		}
		w := 0.0
		for k, beta := range betas {
			want := pathMeans(t, m, base, beta)
			v := pt.Chains[k].Layers()[0].Data
			for u, p := range want {
				got := 0.0
				for c := range n {
					got += v[c*6+u]
				}
				got /= n
				w = math.Max(w, math.Abs(got-p)/math.Sqrt(p*(1-p)/n))
			}
		}
		return w
	}
	pt, err := estimators.NewTemperingPath(m, base, betas, n, 3)
	if err != nil {
		t.Fatal(err)
	}
	w := worst(pt)
	t.Logf("largest deviation of a visible mean: %.2f standard errors; swap rates %.2f", w, pt.SwapRates())
	if w > 4 {
		t.Errorf("a rung's visible mean is %.2f standard errors from the path's", w)
	}
	bad, err := estimators.NewTemperingPath(m, base, betas, n, 3)
	if err != nil {
		t.Fatal(err)
	}
	estimators.DropSwapBase(bad)
	wb := worst(bad)
	t.Logf("control, swaps without the base term: %.2f standard errors", wb)
	if wb <= 4 {
		t.Errorf("control: the wrong swap rule is only %.2f standard errors off", wb)
	}
	if got := estimators.LinearLadder(4); got[0] != 1 || got[3] != 0 || math.Abs(got[1]-2.0/3) > 1e-15 {
		t.Errorf("LinearLadder(4) = %v", got)
	}
}
