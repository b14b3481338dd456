package codegen_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/ir"
	"github.com/ebmc/ebmc/verify"
)

// Metropolis–Hastings with single-unit flips by the derived flip deltas
// samples every discrete test model exactly (softmax layers keep Gibbs).
func TestMetropolisMatchesExactDistributions(t *testing.T) {
	d := startDriver(t)
	if testing.Short() {
		t.Log("-short: ising.ebm only (lateral couplings)")
	}
	for _, c := range cases(t) {
		if shortSkips(c.Name, "ising.ebm") {
			continue
		}
		m := d.models[c.Name]
		p := randomParams(m, 21)
		if _, err := ir.Configs(m.Layers, 1<<12); err != nil {
			continue // gaussian layers: see the moment test
		}
		tv, bound, err := verify.SampleTVRequest(d.Driver, harness.Request{Model: c.Name, Params: p, N: 20000, Seed: 5, Sweeps: 200, Sampler: "metropolis"}, m, 1<<12)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: Metropolis TV %.4f (bound %.4f)", c.Name, tv, bound)
		if tv > bound {
			t.Errorf("%s: Metropolis sampler is %.4f from the exact distribution in total variation; bound %.4f", c.Name, tv, bound)
		}
	}
}

// moments are the exact mean, variance and fourth central moment of every
// unit of a gaussian layer: p(v) = Σ_h p(h)·N(v; μ(h), σ²(h)) over the
// configurations h of the other layers, summed out through a free energy.
func moments(t *testing.T, m *ir.Model, ly *ir.Layer, p ir.Params) (mean, variance, m4 []float64) {
	t.Helper()
	var fe *ir.FreeEnergy
	for _, f := range m.FreeEnergies {
		if len(f.SumOut) == 1 && f.SumOut[0] == ly {
			fe = f
		}
	}
	n, err := ir.Configs(fe.Keep, 1<<12)
	if err != nil {
		t.Fatal(err)
	}
	x := m.NewState()
	w := make([]float64, n)
	mx := math.Inf(-1)
	for k := range w {
		ir.SetConfig(fe.Keep, k, x)
		w[k] = -m.FreeEnergy(fe, p, x, 1)
		mx = math.Max(mx, w[k])
	}
	z := 0.0
	for k := range w {
		w[k] = math.Exp(w[k] - mx)
		z += w[k]
	}
	mean, variance, m4 = make([]float64, ly.Size), make([]float64, ly.Size), make([]float64, ly.Size)
	mus, sds := make([][]float64, n), make([][]float64, n)
	for k := range w {
		w[k] /= z
		ir.SetConfig(fe.Keep, k, x)
		mus[k], sds[k] = make([]float64, ly.Size), make([]float64, ly.Size)
		for u := 0; u < ly.Size; u++ {
			mu, v := m.NormalParams(ly, p, x, u, 1)
			mus[k][u], sds[k][u] = mu, v
			mean[u] += w[k] * mu
		}
	}
	for k := range w {
		for u := 0; u < ly.Size; u++ {
			dm, s2 := mus[k][u]-mean[u], sds[k][u]
			variance[u] += w[k] * (s2 + dm*dm)
			m4[u] += w[k] * (3*s2*s2 + 6*s2*dm*dm + dm*dm*dm*dm)
		}
	}
	return mean, variance, m4
}

// The gaussian samplers — Gibbs, random-walk Metropolis and MALA — match the
// exact first two moments of every gaussian unit, within five standard
// errors of the sample moments; unadjusted Langevin, which is biased by
// O(ε), is held to the same test at a small step.
func TestGaussianSamplersMatchMoments(t *testing.T) {
	d := startDriver(t)
	const n = 20000
	if testing.Short() {
		t.Log("-short: Gibbs on grbm.ebm only")
	}
	for _, name := range []string{"grbm.ebm", "meancov"} {
		if shortSkips(name, "grbm.ebm") {
			continue
		}
		m := d.models[name]
		p := randomParams(m, 8)
		var ly *ir.Layer
		off := 0
		for _, l := range m.Layers {
			if l.Kind == ir.Gaussian {
				ly = l
				break
			}
			off += l.Size
		}
		mean, variance, m4 := moments(t, m, ly, p)
		for _, s := range []struct {
			sampler string
			step    float64
			sweeps  int
		}{{"gibbs", 0, 200}, {"metropolis", 0.5, 1000}, {"mala", 0.1, 1000}, {"langevin", 0.005, 2000}} {
			if shortSkips(s.sampler, "gibbs") {
				continue
			}
			r := d.call(t, harness.Request{Model: name, Op: "sample", Params: p, N: n, Beta: 1, Seed: 3, Sweeps: s.sweeps, Sampler: s.sampler, Step: s.step})
			rate := 1.0
			if r.Proposed > 0 {
				rate = float64(r.Accepted) / float64(r.Proposed)
			}
			for u := 0; u < ly.Size; u++ {
				var s1, s2 float64
				for _, st := range r.States {
					v := st[off+u]
					s1 += v
					s2 += v * v
				}
				gotMean := s1 / n
				gotVar := s2/n - gotMean*gotMean
				tolMean := 5 * math.Sqrt(variance[u]/n)
				tolVar := 5 * math.Sqrt((m4[u]-variance[u]*variance[u])/n)
				t.Logf("%s %s (acceptance %.2f): %s[%d] mean %.4f (exact %.4f ± %.4f), variance %.4f (exact %.4f ± %.4f)",
					name, s.sampler, rate, ly.Name, u, gotMean, mean[u], tolMean, gotVar, variance[u], tolVar)
				if math.Abs(gotMean-mean[u]) > tolMean || math.Abs(gotVar-variance[u]) > tolVar {
					t.Errorf("%s %s: %s[%d] mean %.4f, variance %.4f; exact %.4f, %.4f", name, s.sampler, ly.Name, u, gotMean, gotVar, mean[u], variance[u])
				}
			}
		}
	}
}
