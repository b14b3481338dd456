package codegen_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/harness"
	"github.com/ebmc/ebmc/ir"
)

// exactDiscrete returns the exact distribution of the model's discrete
// layers (the gaussian ones integrated out through a free energy), the
// layers it ranges over, and false when that is not possible.
func exactDiscrete(m *ir.Model, p ir.Params) ([]float64, []*ir.Layer, bool) {
	if _, err := ir.Configs(m.Layers, 1<<12); err == nil {
		d, err := m.Distribution(p, 1<<12)
		return d, m.Layers, err == nil
	}
	for _, fe := range m.FreeEnergies {
		n, err := ir.Configs(fe.Keep, 1<<12)
		if err != nil {
			continue
		}
		x := m.NewState()
		logp := make([]float64, n)
		mx := math.Inf(-1)
		for k := range logp {
			ir.SetConfig(fe.Keep, k, x)
			logp[k] = -m.FreeEnergy(fe, p, x, 1)
			mx = math.Max(mx, logp[k])
		}
		s := 0.0
		for _, v := range logp {
			s += math.Exp(v - mx)
		}
		for k := range logp {
			logp[k] = math.Exp(logp[k]-mx) / s
		}
		return logp, fe.Keep, true
	}
	return nil, nil, false
}

// tvBound is a bound that the total-variation distance between p and the
// empirical distribution of n independent samples exceeds with probability
// below 1e-6: its mean is at most ½Σ√(p(1−p)/n), and it concentrates within
// √(ln(10⁶)/(2n)) of the mean (McDiarmid: one sample moves it by ≤ 1/n).
func tvBound(p []float64, n int) float64 {
	mean := 0.0
	for _, q := range p {
		mean += math.Sqrt(q * (1 - q) / float64(n))
	}
	return mean/2 + math.Sqrt(math.Log(1e6)/(2*float64(n)))
}

// sampleTV runs n independent chains for sweeps Gibbs sweeps from random
// starts and returns the total-variation distance of their final states'
// distribution from the exact one, and the bound it must stay under.
func sampleTV(t *testing.T, d *driver, name string, m *ir.Model, p ir.Params, n, sweeps int) (tv, bound float64, ok bool) {
	t.Helper()
	exact, layers, ok := exactDiscrete(m, p)
	if !ok {
		return 0, 0, false
	}
	r := d.call(t, harness.Request{Model: name, Op: "sample", Params: p, N: n, Beta: 1, Seed: 99, Sweeps: sweeps})
	counts := make([]float64, len(exact))
	x := m.NewState()
	for _, st := range r.States {
		off := 0
		for i, ly := range m.Layers {
			copy(x[i], st[off:off+ly.Size])
			off += ly.Size
		}
		counts[ir.ConfigOf(layers, x)]++
	}
	for k, q := range exact {
		tv += math.Abs(counts[k]/float64(n) - q)
	}
	return tv / 2, tvBound(exact, n), true
}

func TestSamplersMatchExactDistributions(t *testing.T) {
	d := startDriver(t)
	const n, sweeps = 20000, 100
	for _, c := range cases(t) {
		m := d.models[c.Name]
		p := randomParams(m, 21)
		tv, bound, ok := sampleTV(t, d, c.Name, m, p, n, sweeps)
		if !ok {
			t.Logf("%s: not enumerable, skipped", c.Name)
			continue
		}
		t.Logf("%s: TV %.4f (bound %.4f)", c.Name, tv, bound)
		if tv > bound {
			t.Errorf("%s: the sampler's distribution is %.4f from the exact one in total variation; the bound for %d samples is %.4f", c.Name, tv, n, bound)
		}
	}
}

// The same test must reject a wrong sampler: here the generated hidden
// sampler of the RBM draws with half the right field, as a sampler that
// tempered one block by mistake would.
func TestSamplerTestCatchesWrongSampler(t *testing.T) {
	d := startDriver(t)
	const n, sweeps = 20000, 100
	m := d.models["rbm.ebm"]
	p := randomParams(m, 21)
	tv, bound, _ := sampleTV(t, d, "rbm.ebm/wrong-sampler", m, p, n, sweeps)
	t.Logf("wrong sampler: TV %.4f (bound %.4f)", tv, bound)
	if tv <= bound {
		t.Errorf("a sampler that halves its field passed: TV %.4f ≤ bound %.4f", tv, bound)
	}
}

func TestHotPathsAllocateNothing(t *testing.T) {
	d := startDriver(t)
	names := []string{"rbm.ebm/full"}
	for _, c := range cases(t) {
		names = append(names, c.Name)
	}
	for _, name := range names {
		m := d.models[name]
		for _, n := range []int{1, 8, 100} {
			if n == 100 && name != "rbm.ebm/full" {
				continue
			}
			r := d.call(t, harness.Request{Model: name, Op: "allocs", Params: randomParams(m, 1), N: n})
			for what, a := range r.Allocs {
				if a != 0 {
					t.Errorf("%s (%d chains): %s allocates %.0f times", name, n, what, a)
				}
			}
		}
	}
}
