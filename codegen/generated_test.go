package codegen_test

import (
	"math"
	"slices"
	"testing"

	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/internal/testmodels"
	"github.com/ebmc/ebmc/ir"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/verify"
)

// shortSkips reports whether -short leaves out the case name: under -short
// a test that runs on every model keeps only the cheap representatives in
// keep (the full suite, go test ./..., runs them all).
func shortSkips(name string, keep ...string) bool {
	return testing.Short() && !slices.Contains(keep, name)
}

func cases(t *testing.T) []testmodels.Case {
	t.Helper()
	cs, err := testmodels.All()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// randomParams is verify.RandomParams: the declared initializers perturbed
// by N(0, 0.3²), within the parameters' domains.
func randomParams(m *ir.Model, seed uint64) ir.Params {
	p, err := verify.RandomParams(m, seed)
	if err != nil {
		panic(err) // the test models' initializers are all inside their domains
	}
	return p
}

// states is verify.RandomStates: n random states, and the same packed per
// layer (n × size).
func states(m *ir.Model, n int, seed uint64) ([]ir.State, [][]float64) {
	return verify.RandomStates(m, n, seed)
}

func near(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// interpMean is E[unit k of ly | rest] at beta by the interpreter.
func interpMean(m *ir.Model, ly *ir.Layer, p ir.Params, x ir.State, k int, beta float64) float64 {
	switch ly.Kind {
	case ir.Gaussian:
		mean, _ := m.NormalParams(ly, p, x, k, beta)
		return mean
	case ir.Spin:
		pr := m.UnitProbs(ly, p, x, k, beta)
		return pr[1] - pr[0]
	case ir.Softmax:
		return m.UnitProbs(ly, p, x, k, beta)[k%ly.Categories()]
	}
	return m.UnitProbs(ly, p, x, k, beta)[1]
}

func TestGeneratedMatchesInterpreter(t *testing.T) {
	d := startDriver(t)
	const tol = 1e-9
	for _, c := range cases(t) {
		m := d.models[c.Name]
		for _, n := range []int{1, 5} { // per-chain kernels, and batched ones
			p := randomParams(m, uint64(n))
			xs, packed := states(m, n, uint64(n))
			const beta = 0.7
			var w []float64 // the batched case weights its chains
			if n > 1 {
				for ch := range n {
					w = append(w, 0.5+0.37*float64(ch))
				}
			}
			r := d.call(t, harness.Request{Model: c.Name, Op: "eval", Params: p, Layers: packed, N: n, Beta: beta, Weights: w})
			check := func(what string, got, want float64) {
				t.Helper()
				if !near(got, want, tol) {
					t.Errorf("%s (%d chains): %s = %.12g, interpreter %.12g", c.Name, n, what, got, want)
				}
			}
			for ch, x := range xs {
				check("energy", r.Energy[ch], m.Energy(p, x))
				for i, ly := range m.Layers {
					for k := 0; k < ly.Size; k++ {
						a, prec := m.Field(ly, p, x, k)
						check("field of "+ly.Name, r.Fields[i][ch*ly.Size+k], a)
						if ly.Kind == ir.Gaussian {
							check("precision of "+ly.Name, r.Precisions[i][ch*ly.Size+k], prec)
						}
						check("mean of "+ly.Name, r.Means[i][ch*ly.Size+k], interpMean(m, ly, p, x, k, beta))
					}
				}
				for f, fe := range m.FreeEnergies {
					check("free energy summing out "+fe.SumOut[0].Name, r.FreeEnergies[f][ch], m.FreeEnergy(fe, p, x, beta))
				}
			}
			sumGrad := func(g func(x ir.State) ir.Params) ir.Params {
				total := m.NewParams()
				for ch, x := range xs {
					wt := 1.0
					if w != nil {
						wt = w[ch]
					}
					for i, gi := range g(x) {
						for k, v := range gi {
							total[i][k] += wt * v
						}
					}
				}
				return total
			}
			want := sumGrad(func(x ir.State) ir.Params { return m.EnergyGrad(p, x) })
			for i, q := range m.Params {
				for k := range want[i] {
					check("∂E/∂"+q.Name, r.EnergyGrad[i][k], want[i][k])
				}
			}
			for f, fe := range m.FreeEnergies {
				want := sumGrad(func(x ir.State) ir.Params { return m.FreeEnergyGrad(fe, p, x) })
				for i, q := range m.Params {
					for k := range want[i] {
						check("∂F/∂"+q.Name+" summing out "+fe.SumOut[0].Name, r.FEGrads[f][i][k], want[i][k])
					}
				}
			}
			if z, err := m.LogZ(p, 1, 1<<20); err == nil {
				if r.LogZError != "" {
					t.Errorf("%s: generated LogZ: %s", c.Name, r.LogZError)
				} else {
					check("log Z", r.LogZ, z)
				}
			}
			for ch, x := range xs {
				mu, iters := m.MeanField(p, x, 500, 1e-12, 0)
				if iters == 500 {
					continue // not converged: the comparison would be of two trajectories
				}
				for i, ly := range m.Layers {
					for k := 0; k < ly.Size; k++ {
						check("mean field of "+ly.Name, r.MeanField[i][ch*ly.Size+k], mu[i][k])
					}
				}
			}
		}
	}
}

// Generated with -float32, the batched products of binary states run in
// float32: fields, means, free energies and gradients of 5 chains agree
// with the interpreter to the float32 tolerance (each field errs by at most
// 2⁻²⁴·(1 + nonzeros)·Σ|terms|, about 3·10⁻⁶ of Σ|terms| here; 10⁻⁵
// relative is asserted), and the fields err by far more than float64
// products would, which shows that the float32 kernel ran.
func TestFloat32MatchesInterpreter(t *testing.T) {
	if !runtime.NewWorkspace(1).SetFloat32(true) {
		t.Skip("no float32 kernels on this CPU (they need AVX2 and FMA, or AVX-512): -float32 models run float64 products here")
	}
	d := startDriver(t)
	const n, beta, tol = 5, 0.7, 1e-5
	for _, name := range []string{"rbm.ebm/100x20/float32", "rbm.ebm/100x40/float32"} {
		m := d.models[name]
		p := gaussianParams(m, 0.3, 3)
		xs, packed := states(m, n, 4)
		r := d.call(t, harness.Request{Model: name, Op: "eval", Params: p, Layers: packed, N: n, Beta: beta})
		worst, exactlyEqual, total := 0.0, 0, 0
		for ch, x := range xs {
			for i, ly := range m.Layers {
				for k := 0; k < ly.Size; k++ {
					a, _ := m.Field(ly, p, x, k)
					got := r.Fields[i][ch*ly.Size+k]
					if !near(got, a, tol) {
						t.Errorf("%s: field of %s[%d] in chain %d = %.9g, interpreter %.9g", name, ly.Name, k, ch, got, a)
					}
					worst = max(worst, math.Abs(got-a)/math.Max(1, math.Abs(a)))
					total++
					if got == a {
						exactlyEqual++
					}
					if mean := interpMean(m, ly, p, x, k, beta); !near(r.Means[i][ch*ly.Size+k], mean, tol) {
						t.Errorf("%s: mean of %s[%d] in chain %d = %.9g, interpreter %.9g", name, ly.Name, k, ch, r.Means[i][ch*ly.Size+k], mean)
					}
				}
			}
			for f, fe := range m.FreeEnergies {
				if want := m.FreeEnergy(fe, p, x, beta); !near(r.FreeEnergies[f][ch], want, tol) {
					t.Errorf("%s: free energy summing out %s in chain %d = %.9g, interpreter %.9g", name, fe.SumOut[0].Name, ch, r.FreeEnergies[f][ch], want)
				}
			}
		}
		for f, fe := range m.FreeEnergies {
			want := m.NewParams()
			for _, x := range xs {
				for i, gi := range m.FreeEnergyGrad(fe, p, x) {
					for k, v := range gi {
						want[i][k] += v
					}
				}
			}
			for i, q := range m.Params {
				for k := range want[i] {
					if !near(r.FEGrads[f][i][k], want[i][k], tol) {
						t.Errorf("%s: ∂F/∂%s[%d] summing out %s = %.9g, interpreter %.9g", name, q.Name, k, fe.SumOut[0].Name, r.FEGrads[f][i][k], want[i][k])
					}
				}
			}
		}
		t.Logf("%s: worst relative field error %.2g; %d of %d fields equal the interpreter's to the bit", name, worst, exactlyEqual, total)
		if worst < 1e-10 { // float64 products err by about 1e-15 here
			t.Errorf("%s: the worst field error is %.2g: the float32 kernel did not run", name, worst)
		}
	}
}
