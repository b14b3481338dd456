package ir_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/ir"
)

// laplaceModels are models with a laplace layer: sparse coding, one whose
// Hessian reads a visible layer and whose thresholds differ per unit, and
// a 2-D code with lateral couplings written directly and several L1 terms.
var laplaceModels = map[string]string{
	"sc": `model SC
visible v[4] gaussian
hidden h[3] laplace
param D[4, 3] = normal(0, 1)
param lambda = 0.2 fixed
energy = sum(i) (v[i] - sum(k) D[i, k] * h[k])^2 / 2 + lambda * sum(k) abs(h[k])`,
	"weighted": `model W
visible v[3] gaussian
visible s[3] bernoulli
hidden h[2] laplace
param D[3, 2] = normal(0, 1)
param l1[2] = uniform(0.1, 0.5) fixed
param ridge = 0.3 fixed
energy = sum(i) v[i]^2 / 2 - sum(i, k) v[i] * D[i, k] * h[k]
       + sum(i, j, k) (1 + s[i]) * D[i, j] * D[i, k] * h[j] * h[k] / 2
       + ridge * sum(k) h[k]^2 / 2 + sum(k) l1[k] * abs(h[k])`,
	"grid": `model Grid
visible v[2, 3] gaussian
hidden h[2, 3] laplace
param A[2, 3, 2, 3] = normal(0, 0.2) fixed
param c[2, 3] = normal(0, 1)
param l1[3] = uniform(0.1, 0.5) fixed
energy = sum(a, b) v[a, b]^2 / 2 + sum(a, b) h[a, b]^2 - sum(a, b, c2, d) A[a, b, c2, d] * h[a, b] * h[c2, d]
       - sum(a, b) c[a, b] * v[a, b] * h[a, b] + sum(a, b) l1[b] * abs(h[a, b]) + 2 * sum(a, b) abs(h[a, b]) / 10`,
}

func compileLaplace(t *testing.T, name string) *ir.Model {
	t.Helper()
	m, err := ir.Compile(name+".ebm", []byte(laplaceModels[name]), ir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Sparse == nil {
		t.Fatalf("%s: no sparse derivation", name)
	}
	return m
}

// checkQuadratic compares the derived Q, b, c and λ with the energy itself:
// the smooth part f = E − g is exactly quadratic in h, so
// c = f(0), b_u = −(f(e_u) − f(−e_u))/2, Q_uu = f(e_u) + f(−e_u) − 2f(0),
// Q_uw = f(e_u + e_w) − f(e_u) − f(e_w) + f(0), and λ_u = g(e_u). It returns
// the largest disagreement.
func checkQuadratic(m *ir.Model, p ir.Params, x ir.State, q, b []float64, c float64, lam []float64) float64 {
	h := m.Sparse.Layer
	n := h.Size
	f := func(code []float64) float64 {
		y := x.Clone()
		copy(y[h.Index], code)
		return m.Energy(p, y) - m.Penalty(p, y)
	}
	unit := func(u, w int, su, sw float64) []float64 {
		e := make([]float64, n)
		e[u] += su
		if w >= 0 {
			e[w] += sw
		}
		return e
	}
	zero := f(make([]float64, n))
	worst := math.Abs(c - zero)
	for u := 0; u < n; u++ {
		fu, fm := f(unit(u, -1, 1, 0)), f(unit(u, -1, -1, 0))
		worst = math.Max(worst, math.Abs(b[u]+(fu-fm)/2))
		worst = math.Max(worst, math.Abs(q[u*n+u]-(fu+fm-2*zero)))
		y := x.Clone()
		copy(y[h.Index], unit(u, -1, 1, 0))
		worst = math.Max(worst, math.Abs(lam[u]-m.Penalty(p, y)))
		for w := 0; w < n; w++ {
			if w != u {
				want := f(unit(u, w, 1, 1)) - fu - f(unit(w, -1, 1, 0)) + zero
				worst = math.Max(worst, math.Abs(q[u*n+w]-want))
			}
		}
	}
	return worst
}

// The derived smooth part (Q, b, c) and thresholds λ agree with the energy
// they come from, and the normalized energy with its L1 terms agrees with
// the source as written, on random parameters and states. Negative
// control: Q without its off-diagonal couplings fails.
func TestSparseDerivation(t *testing.T) {
	for name := range laplaceModels {
		m := compileLaplace(t, name)
		r := rand.New(rand.NewPCG(1, 2))
		for trial := 0; trial < 5; trial++ {
			p := m.NewParams()
			m.InitParams(p, uint64(trial+1))
			x := m.NewState()
			m.RandomState(x, r)
			if e, se := m.Energy(p, x), m.SourceEnergy(p, x); math.Abs(e-se) > 1e-9*(1+math.Abs(se)) {
				t.Errorf("%s: Energy %g, source energy %g", name, e, se)
			}
			q, b, c := m.Quadratic(p, x)
			lam := m.Thresholds(p)
			if d := checkQuadratic(m, p, x, q, b, c, lam); d > 1e-9 {
				t.Errorf("%s: derived quadratic off the energy by %.3g", name, d)
			}
			if name == "sc" || name == "grid" {
				broken := *m.Sparse
				broken.Coupling = nil
				saved := m.Sparse
				m.Sparse = &broken
				q2, b2, c2 := m.Quadratic(p, x)
				m.Sparse = saved
				if d := checkQuadratic(m, p, x, q2, b2, c2, lam); d < 1e-3 {
					t.Errorf("%s: Q without couplings passed (%.3g)", name, d)
				}
			}
		}
		if got := m.Sparse.SharedHessian; got != (name != "weighted") {
			t.Errorf("%s: SharedHessian = %v", name, got)
		}
	}
}

// Every method that a laplace layer rules out is refused with an error at
// the L1 term that names the unit, the term and what to do instead; a
// model without a laplace layer is refused nothing.
func TestRefusal(t *testing.T) {
	m := compileLaplace(t, "sc")
	for _, w := range []ir.Method{ir.GibbsConditional, ir.MeanFieldUpdate, ir.FreeEnergySum, ir.ExactLogZ, ir.Sampling} {
		err := m.Refusal(w)
		if err == nil {
			t.Fatalf("%v was not refused", w)
		}
		msg := err.Error()
		for _, want := range []string{"sc.ebm:6:", "laplace layer h", "lambda·|h[k]|", "MAP", "h[k] to the other units of h"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%v: %q lacks %q", w, msg, want)
			}
		}
	}
	rbm, err := ir.Compile("r.ebm", []byte(rbmHead+rbmEnergy), ir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for w := ir.GibbsConditional; w <= ir.Sampling; w++ {
		if err := rbm.Refusal(w); err != nil {
			t.Errorf("an RBM was refused %v: %v", w, err)
		}
	}
	if len(m.FreeEnergies) != 0 {
		t.Errorf("a laplace model has %d free energies", len(m.FreeEnergies))
	}
}
