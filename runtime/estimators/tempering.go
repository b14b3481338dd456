package estimators

import (
	"fmt"
	"math"

	"github.com/ebmc/ebmc/runtime"
)

// Tempering is parallel tempering (replica exchange, Swendsen & Wang 1986;
// Deep Learning §17.5.1): one batch of chains per inverse temperature
// β₀ > β₁ > … of a ladder, each moved by Gibbs sweeps at its own β, and after
// every sweep an attempt to swap the states of neighbouring temperatures,
// accepted with probability
//
//	min(1, exp((β_i − β_{i+1})·(E(x_i) − E(x_{i+1})))),
//
// which leaves the product of the tempered distributions invariant. Hot
// chains cross energy barriers and hand their states down, so the β = 1
// chains mix between modes that plain Gibbs sampling cannot leave.
//
// With a base model (NewTemperingPath) the rungs are those of the geometric
// path of AIS instead, p_β ∝ p_A^{1−β}·p*^β, whose β = 0 end is the base
// model over the visible layers times uniform hidden units, a distribution
// Gibbs sampling draws exactly and whose log Z is Base.LogZ. Writing
// log p*_β(x) = A(x) − β·(E(x) + A(x)), A = log p*_A, the swap rule is the
// one above with E replaced by E + A.
type Tempering struct {
	m       runtime.Reflective
	base    *Base // nil: plain tempering of the energy
	Betas   []float64
	Chains  []runtime.Chains // Chains[k] at Betas[k]; Chains[0] at the first β (normally 1)
	views   [][]runtime.Tensor
	energy  [][]float64
	tried   []int // swap attempts between k and k+1
	swapped []int
	rng     runtime.RNG
}

// NewTempering makes n chains at each inverse temperature of betas, which
// must decrease from the target (usually 1).
func NewTempering(m runtime.Reflective, betas []float64, n int, seed uint64) (*Tempering, error) {
	return NewTemperingPath(m, nil, betas, n, seed)
}

// NewTemperingPath makes n chains at each inverse temperature of betas
// (decreasing, ≥ 0) of the geometric path from base to m that AIS anneals
// along: every rung's chains carry the base's fields (SetBase), so a sweep
// at β samples p_A^{1−β}·p*^β, and swaps use E + log p*_A. A nil base is
// NewTempering.
func NewTemperingPath(m runtime.Reflective, base *Base, betas []float64, n int, seed uint64) (*Tempering, error) {
	if len(betas) < 2 {
		return nil, fmt.Errorf("runtime: tempering %s: a ladder needs at least 2 temperatures", m.ModelName())
	}
	for k := 1; k < len(betas); k++ {
		if !(betas[k] < betas[k-1]) || betas[k] < 0 {
			return nil, fmt.Errorf("runtime: tempering %s: inverse temperatures must decrease and stay ≥ 0, got %v", m.ModelName(), betas)
		}
	}
	t := &Tempering{m: m, base: base, Betas: betas, tried: make([]int, len(betas)-1), swapped: make([]int, len(betas)-1), rng: runtime.NewRNG(seed, 1<<40)}
	for k := range betas {
		x := m.NewChains(n, seed+uint64(k)*0x9e37)
		if base != nil {
			base.apply(m, x)
		}
		t.Chains = append(t.Chains, x)
		t.views = append(t.views, x.Layers())
		t.energy = append(t.energy, make([]float64, n))
	}
	return t, nil
}

// Sweep moves every chain by one Gibbs sweep at its temperature, then tries
// one swap between every pair of neighbouring temperatures, for each chain
// index. It allocates nothing.
func (t *Tempering) Sweep() {
	for k, x := range t.Chains {
		t.m.Sweep(x, t.Betas[k])
		t.m.Energy(x, t.energy[k])
		if t.base != nil {
			t.base.addLogDensity(t.views[k], 0, t.energy[k]) // + A(x)
		}
	}
	for k := 0; k+1 < len(t.Chains); k++ {
		a, b := t.views[k], t.views[k+1]
		ea, eb := t.energy[k], t.energy[k+1]
		for c := range ea {
			t.tried[k]++
			logAccept := (t.Betas[k] - t.Betas[k+1]) * (ea[c] - eb[c])
			if logAccept < 0 && t.rng.Float64() >= math.Exp(logAccept) {
				continue
			}
			t.swapped[k]++
			ea[c], eb[c] = eb[c], ea[c]
			for i := range a {
				size := len(a[i].Data) / len(ea)
				ra, rb := a[i].Data[c*size:(c+1)*size], b[i].Data[c*size:(c+1)*size]
				for u := range ra {
					ra[u], rb[u] = rb[u], ra[u]
				}
			}
		}
	}
}

// SwapRates returns, for each pair of neighbouring temperatures, the share
// of attempted swaps that were accepted.
func (t *Tempering) SwapRates() []float64 {
	r := make([]float64, len(t.tried))
	for k := range r {
		if t.tried[k] > 0 {
			r[k] = float64(t.swapped[k]) / float64(t.tried[k])
		}
	}
	return r
}

// LinearLadder returns n ≥ 2 inverse temperatures from 1 down to 0, evenly
// spaced: a ladder of the path from a base model (NewTemperingPath) whose
// last rung is the base itself.
func LinearLadder(n int) []float64 {
	b := make([]float64, n)
	for k := range b {
		b[k] = 1 - float64(k)/float64(n-1)
	}
	b[n-1] = 0
	return b
}

// GeometricLadder returns n inverse temperatures from 1 down to min, evenly
// spaced in log β.
func GeometricLadder(n int, min float64) []float64 {
	b := make([]float64, n)
	for k := range b {
		b[k] = math.Pow(min, float64(k)/float64(n-1))
	}
	return b
}
