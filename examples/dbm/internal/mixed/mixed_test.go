package mixed_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/examples/dbm/internal/exact"
	"github.com/ebmc/ebmc/examples/dbm/internal/mixed"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/deep"
	"github.com/ebmc/ebmc/runtime/estimators"
)

const nv, ns, groups, cats = 4, 3, 2, 3

func allVisible() *dataset.Dataset {
	d := &dataset.Dataset{Rows: 1 << nv, Cols: nv}
	for k := 0; k < d.Rows; k++ {
		for i := 0; i < nv; i++ {
			d.X = append(d.X, float64(k>>i&1))
		}
	}
	return d
}

// directions are the moves of the means along which the bound is
// differentiated: each spin mean, and for each softmax group mass moved
// from one category to another (the group's means must sum to 1).
type direction struct {
	spin     int // ≥ 0: the spin unit
	from, to int // softmax units, when spin < 0
}

func directions() []direction {
	var out []direction
	for j := 0; j < ns; j++ {
		out = append(out, direction{spin: j})
	}
	for g := 0; g < groups; g++ {
		for c := 0; c < cats; c++ {
			for d := c + 1; d < cats; d++ {
				out = append(out, direction{spin: -1, from: g*cats + c, to: g*cats + d})
			}
		}
	}
	return out
}

// The mean-field fixed point (site by site over the laterally coupled
// spins, then the softmax groups) is a stationary point of the bound along
// every feasible direction, and a perturbed point is not.
func TestELBOStationaryWithSpinAndSoftmax(t *testing.T) {
	m := mixed.NewMixed(1)
	r := m.Reflect()
	x := mixed.NewMixedChains(1, 1)
	d := allVisible()
	elbo := func() float64 {
		var l [1]float64
		if err := deep.ELBOAt(r, x, 0, l[:]); err != nil {
			t.Fatal(err)
		}
		return l[0]
	}
	grad := func() float64 {
		worst := 0.0
		for _, dir := range directions() {
			var step float64
			move := func(s float64) {
				if dir.spin >= 0 {
					x.S[dir.spin] += s
				} else {
					x.Y[dir.from] -= s
					x.Y[dir.to] += s
				}
			}
			if dir.spin >= 0 {
				step = 1e-4 * (1 - math.Abs(x.S[dir.spin]))
			} else {
				step = 1e-4 * math.Min(x.Y[dir.from], x.Y[dir.to])
			}
			move(step)
			up := elbo()
			move(-2 * step)
			down := elbo()
			move(step)
			worst = math.Max(worst, math.Abs(up-down)/(2*step))
		}
		return worst
	}
	const tol = 1e-5
	worst, perturbed := 0.0, math.Inf(1)
	for row := 0; row < d.Rows; row++ {
		copy(x.V, d.Row(row))
		if it := m.MeanField(x, 10000, 1e-15, 0); it >= 10000 {
			t.Fatalf("v = %v: mean field did not converge", d.Row(row))
		}
		worst = math.Max(worst, grad())
		x.S[row%ns] *= 0.5
		x.Y[0], x.Y[1] = 0.5*(x.Y[0]+x.Y[1])+0.1, 0.5*(x.Y[0]+x.Y[1])-0.1
		perturbed = math.Min(perturbed, grad())
	}
	t.Logf("largest directional derivative at the fixed points %.2e; at perturbed means at least %.3f", worst, perturbed)
	if worst > tol {
		t.Errorf("the bound's directional derivative at the mean-field fixed point reaches %.2e > %.0e", worst, tol)
	}
	if perturbed < 100*tol {
		t.Errorf("at perturbed means the largest derivative is only %.2e: the check cannot fail", perturbed)
	}
}

// L(v) ≤ log p(v) for every v with spin, softmax and lateral couplings.
func TestELBOBelowExactWithSpinAndSoftmax(t *testing.T) {
	m := mixed.NewMixed(2)
	r := m.Reflect()
	j, err := exact.Enumerate(r, 1<<12)
	if err != nil {
		t.Fatal(err)
	}
	d := allVisible()
	res, err := deep.ELBO(r, d, j.LogZ, deep.ELBOConfig{Iters: 2000, Tol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	gap := 0.0
	for row := 0; row < d.Rows; row++ {
		lp, err := j.LogPVisible(d.Row(row))
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows[row] > lp+1e-9 {
			t.Errorf("v = %v: bound %.6f exceeds log p(v) = %.6f", d.Row(row), res.Rows[row], lp)
		}
		gap += (lp - res.Rows[row]) / float64(d.Rows)
	}
	t.Logf("mean bound %.4f ± %.4f, mean gap to log p(v) %.4f nats", res.Mean, res.StdErr, gap)
}

// ICM over laterally coupled spins (site by site) and softmax groups never
// raises the energy and ends where no spin flip and no change of category
// lowers it.
func TestICMWithSpinAndSoftmax(t *testing.T) {
	m := mixed.NewMixed(3)
	for i := range m.L {
		m.L[i] *= 4 // strong lateral couplings
	}
	r := m.Reflect()
	const n = 64
	x := mixed.NewMixedChains(n, 5)
	clamp := [][]bool{runtime.Mask(nv, true)}
	v0 := append([]float64(nil), x.V...)
	e, prev := make([]float64, n), make([]float64, n)
	m.Energy(x, prev)
	converged := false
	for s := 0; s < 100 && !converged; s++ {
		res, err := estimators.ICM(r, x, clamp, 1)
		if err != nil {
			t.Fatal(err)
		}
		converged = res.Converged
		m.Energy(x, e)
		for c := range e {
			if e[c] > prev[c]+1e-12*(1+math.Abs(prev[c])) {
				t.Fatalf("sweep %d raised the energy of chain %d from %.12f to %.12f", s+1, c, prev[c], e[c])
			}
		}
		copy(prev, e)
	}
	if !converged {
		t.Fatal("ICM did not converge in 100 sweeps")
	}
	for i, v := range x.V {
		if v != v0[i] {
			t.Fatal("ICM changed a clamped visible unit")
		}
	}
	base := append([]float64(nil), prev...)
	check := func(what string) {
		m.Energy(x, e)
		for c := range e {
			if e[c] < base[c]-1e-12*(1+math.Abs(base[c])) {
				t.Errorf("chain %d: %s lowers the energy from %.12f to %.12f", c, what, base[c], e[c])
			}
		}
	}
	for j := 0; j < ns; j++ {
		for c := 0; c < n; c++ {
			x.S[c*ns+j] = -x.S[c*ns+j]
		}
		check("flipping a spin")
		for c := 0; c < n; c++ {
			x.S[c*ns+j] = -x.S[c*ns+j]
		}
	}
	saved := append([]float64(nil), x.Y...)
	for g := 0; g < groups; g++ {
		for k := 0; k < cats; k++ {
			for c := 0; c < n; c++ {
				grp := x.Y[c*groups*cats+g*cats : c*groups*cats+(g+1)*cats]
				clear(grp)
				grp[k] = 1
			}
			check("changing a category")
			copy(x.Y, saved)
		}
	}
}

// The spins' lateral couplings make the model no deep Boltzmann machine.
func TestPretrainRefusesLateralCouplings(t *testing.T) {
	m := mixed.NewMixed(4)
	_, err := deep.PretrainDBM(context.Background(), m.Reflect(), allVisible(), deep.PretrainConfig{Epochs: 1, BatchSize: 4})
	if err == nil || !strings.Contains(err.Error(), "layer s is coupled to itself") {
		t.Fatalf("err = %v, want a refusal naming the lateral couplings of s", err)
	}
	t.Log(err)
}
