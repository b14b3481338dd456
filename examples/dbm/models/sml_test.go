package models_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/examples/dbm/internal/exact"
	"github.com/ebmc/ebmc/examples/dbm/models"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/deep"
)

// The step of variational SML ascends the objective it claims to:
//
//	J(θ) = (1/n) Σ_v max_μ [−E(v, μ) + H(q_μ)] − log Z(θ),
//
// the mean variational bound. By the envelope theorem ∂J/∂θ is the data term
// −∂E/∂θ at the mean-field fixed point minus the model's E[−∂E/∂θ]. With
// persistent chains drawn from the exact joint, one step of lr 1 must move θ
// by the central finite differences of J (mean field to 10⁻¹⁴, log Z
// enumerated) within the sampling error of the negative phase: each term of
// ∂E/∂θ is a product of units in {0, 1}, of standard deviation at most ½,
// so the chains' mean is off by at most 5·½/√chains but with probability
// below 10⁻⁶ per parameter. A step whose negative phase is dropped, or
// whose positive phase skips mean field, must fail the same comparison.
func TestSMLStepIsTheGradientOfTheBound(t *testing.T) {
	const rows, chains = 6, 200000
	data := make([]float64, rows*models.TinyNV)
	rng := runtime.NewRNG(11, 0)
	for i := range data {
		data[i] = rng.Bernoulli(0.5)
	}
	m := randomDBM(13, 0.7)

	objective := func(m *models.Tiny, withLogZ bool) float64 {
		x := models.NewTinyChains(rows, 1)
		copy(x.V, data)
		if it := m.MeanField(x, 100000, 1e-14, 0); it >= 100000 {
			t.Fatal("mean field did not converge")
		}
		l := make([]float64, rows)
		if err := deep.ELBOAt(m.Reflect(), x, 0, l); err != nil {
			t.Fatal(err)
		}
		j := 0.0
		for _, v := range l {
			j += v / rows
		}
		if withLogZ {
			z, err := m.LogZ(0)
			if err != nil {
				t.Fatal(err)
			}
			j -= z
		}
		return j
	}
	fd := func(withLogZ bool) []float64 {
		const eps = 1e-5
		var g []float64
		for _, p := range m.Params() {
			for i := range p.Data {
				old := p.Data[i]
				p.Data[i] = old + eps
				up := objective(m, withLogZ)
				p.Data[i] = old - eps
				down := objective(m, withLogZ)
				p.Data[i] = old
				g = append(g, (up-down)/(2*eps))
			}
		}
		return g
	}

	step := func(cfg runtime.CDConfig) []float64 {
		mm := models.ZeroTiny()
		for k, p := range m.Params() {
			copy(mm.Params()[k].Data, p.Data)
		}
		cfg.BatchSize, cfg.Persistent, cfg.Chains, cfg.Seed = rows, true, chains, 3
		cfg.Optimizer = runtime.SGD{LearningRate: 1}
		tr, err := models.NewTinyTrainer(mm, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Persistent chains at exact samples of the joint.
		j, err := exact.Enumerate(m.Reflect(), 1<<12)
		if err != nil {
			t.Fatal(err)
		}
		x := models.NewTinyChains(chains, 5)
		p := j.P()
		r := runtime.NewRNG(17, 0)
		for c := 0; c < chains; c++ {
			u, k := r.Float64(), 0
			for ; k < len(p)-1 && u >= p[k]; k++ {
				u -= p[k]
			}
			j.Set(x, c, k)
		}
		for _, s := range tr.State() {
			switch s.Name {
			case "chain.v":
				copy(s.Data, x.V)
			case "chain.h1":
				copy(s.Data, x.H1)
			case "chain.h2":
				copy(s.Data, x.H2)
			}
		}
		before := append([]float64(nil), flat(m.Params())...)
		tr.TrainStep(data, rows, 0)
		delta := flat(mm.Params())
		for k := range delta {
			delta[k] -= before[k]
		}
		return delta
	}
	worst := func(a, b []float64) float64 {
		w := 0.0
		for k := range a {
			w = math.Max(w, math.Abs(a[k]-b[k]))
		}
		return w
	}

	want := fd(true)
	tol := 5 * 0.5 / math.Sqrt(chains)
	exactCfg := runtime.CDConfig{MeanFieldIters: 100000, MeanFieldTol: 1e-14}
	got := step(exactCfg)
	t.Logf("largest |Δθ − ∂J/∂θ| = %.2e (bound %.2e) over %d parameters", worst(got, want), tol, len(want))
	if w := worst(got, want); w > tol {
		t.Errorf("the SML step differs from the gradient of the bound by %.3g > %.3g", w, tol)
	}
	// Negative controls: the data term alone (no log Z), and one mean-field
	// sweep in the positive phase.
	if w := worst(got, fd(false)); w <= tol {
		t.Errorf("the step also matches the gradient of the data term alone (%.3g): the test cannot see the negative phase", w)
	}
	if w := worst(step(runtime.CDConfig{MeanFieldIters: 1}), want); w <= tol {
		t.Errorf("a step with one mean-field sweep matches too (%.3g): the test cannot see the positive phase", w)
	}
}

func flat(ts []runtime.Tensor) []float64 {
	var out []float64
	for _, p := range ts {
		out = append(out, p.Data...)
	}
	return out
}
