package estimators

import (
	"fmt"
	"math"

	"github.com/ebmc/ebmc/runtime"
)

// ladderFilter is the Kalman filter of Desjardins, Courville & Bengio
// (2011, §3) over the log partition functions of a tempering ladder
// 1 = β_0 > β_1 > … > β_{K−1} = 0 of the geometric path from a base model,
// p_{t,β} ∝ p_A^{1−β}·p*_t^β. Its state is
//
//	ζ_t = (log Z_t(β_0), …, log Z_t(β_{K−1})),
//
// a Gaussian N(ẑ_t, P_t). At every observation t it receives, from the
// ladder's chains before (X^k_{t−1}) and after (X^k_t) the sweeps of that
// observation, two kinds of bridge-sampling estimates (BAR, each with its
// standard error):
//
//	time ratios     δ̂_{t,k} ≈ ζ_{t,k} − ζ_{t−1,k},  from X^k_{t−1} and X^k_t,
//	                with l(x) = log p*_{t,β_k}(x) − log p*_{t−1,β_k}(x);
//	between rungs   ĝ_{t,k} ≈ ζ_{t,k} − ζ_{t,k+1},  from X^{k+1}_t and X^k_t,
//	                with l(x) = log p*_{t,β_k}(x) − log p*_{t,β_{k+1}}(x);
//
// and one exact value, the anchor ζ_{t,K−1} = log Z_A + Σ_hidden log(levels),
// the normalizer of the base model times uniform hidden units
// (Base.LogZ), the same at every t because the base does not change.
//
// The time ratios drive the prediction (a random walk whose increments are
// observed), the between-rung estimates and the anchor correct it:
//
//	predict   ẑ⁻ = ẑ_{t−1} + δ̂_t,        P⁻ = P_{t−1} + diag(se(δ̂_t)² + q)
//	update    for each scalar observation y = hᵀζ + ε, ε ~ N(0, r):
//	          s = hᵀP⁻h + r,   k = P⁻h/s,   ẑ = ẑ⁻ + k·(y − hᵀẑ⁻),   P = P⁻ − k·hᵀP⁻
//
// with h = e_{K−1}, r = 0 for the anchor and h = e_k − e_{k+1},
// r = se(ĝ_{t,k})² for the between-rung estimates, taken one at a time
// (equivalent to the joint update, as their errors are independent); q is
// an optional process variance per observation. The tracked log Z_t is
// ẑ_{t,0} with σ = √P_{t,00}. With a noiseModel (TrackConfig.EstimateNoise)
// r and se(δ̂_t)² are replaced by estimates of the observations' real
// variances, and σ² adds the slow error the innovations show (see
// noiseModel).
//
// What this buys over summing the time ratios alone: any systematic error
// of δ̂ (chains that do not represent p_t) adds up linearly in t in the
// sum, while ĝ does not accumulate: each observation measures the whole
// ladder afresh against the anchor, so a per-step bias b is corrected
// towards a bounded error (about b·√(r/se²) in the scalar steady state)
// instead of b·t. The filter is only as good as ĝ: if the rungs' chains
// miss modes, ĝ is biased too, and nothing here can see it.
type ladderFilter struct {
	betas     []float64
	n         int // chains per rung
	anchor    float64
	q         float64
	prev      []runtime.Chains   // every rung's chains at the last observation
	prevViews [][]runtime.Tensor // their Layers
	views     [][]runtime.Tensor // the ladder's chains' Layers

	// Per rung k, per chain, log path densities:
	lPrevPrev [][]float64 // log p*_{t−1,β_k}(X^k_{t−1})
	lNowPrev  [][]float64 // log p*_{t,β_k}(X^k_{t−1})
	lNowNow   [][]float64 // log p*_{t,β_k}(X^k_t)
	lPrevNow  [][]float64 // log p*_{t−1,β_k}(X^k_t)
	up        [][]float64 // log p*_{t,β_{k−1}}(X^k_t), k ≥ 1
	down      [][]float64 // log p*_{t,β_{k+1}}(X^k_t), k ≤ K−2

	delta, deltaSE []float64 // the last time ratios, per rung
	gap, gapSE     []float64 // the last between-rung ratios, per link k (k, k+1)

	z  []float64 // ẑ
	p  []float64 // P, K×K row-major
	ph []float64 // scratch: P·h

	noise *noiseModel // nil: the observations' errors taken as BAR says

	// Deliberate faults, set only by tests (export_test.go): the negative
	// controls of the filter.
	noBridge bool    // drop the between-rung observations
	bias     float64 // added to every δ̂ of a rung with β > 0
}

// newLadderFilter allocates the filter of a ladder of chains pt (n chains
// per rung) whose last rung has the known log Z anchor.
func newLadderFilter(m runtime.Reflective, pt *Tempering, n int, anchor, q float64, noise *noiseModel) *ladderFilter {
	k := len(pt.Betas)
	f := &ladderFilter{betas: pt.Betas, n: n, anchor: anchor, q: q, views: pt.views, noise: noise}
	for range k {
		x := m.NewChains(n, 0)
		f.prev = append(f.prev, x)
		f.prevViews = append(f.prevViews, x.Layers())
	}
	for _, s := range []*[][]float64{&f.lPrevPrev, &f.lNowPrev, &f.lNowNow, &f.lPrevNow, &f.up, &f.down} {
		*s = make([][]float64, k)
		for r := range *s {
			(*s)[r] = make([]float64, n)
		}
	}
	f.delta, f.deltaSE = make([]float64, k), make([]float64, k)
	f.gap, f.gapSE = make([]float64, k-1), make([]float64, k-1)
	f.z, f.p, f.ph = make([]float64, k), make([]float64, k*k), make([]float64, k)
	return f
}

// evalNow writes, under the current parameters, every rung's chains'
// log densities at their own β (lNowNow) and at the neighbouring β's
// (up, down).
func (f *ladderFilter) evalNow(d *pathDensity, pt *Tempering) {
	last := len(f.betas) - 1
	for k, x := range pt.Chains {
		v := f.views[k]
		d.evalViews(x, v, f.betas[k], f.lNowNow[k])
		if k > 0 {
			d.evalViews(x, v, f.betas[k-1], f.up[k])
		}
		if k < last {
			d.evalViews(x, v, f.betas[k+1], f.down[k])
		}
	}
}

// bridges estimates every between-rung ratio ĝ_k = log Z(β_k) − log Z(β_{k+1})
// by BAR, p_0 the rung k+1 and p_1 the rung k, from evalNow's values.
func (f *ladderFilter) bridges(l0, l1, t0, t1 []float64) {
	for k := range f.gap {
		for i := range l0 {
			l0[i] = f.up[k+1][i] - f.lNowNow[k+1][i]
			l1[i] = f.lNowNow[k][i] - f.down[k][i]
		}
		f.gap[k], f.gapSE[k] = bar(l0, l1, t0, t1)
	}
}

// start sets the state from the between-rung ratios of the current
// chains and the anchor alone,
//
//	ẑ_k = anchor + Σ_{j ≥ k} ĝ_j,   P_ij = Σ_{l ≥ max(i, j)} se(ĝ_l)²,
//
// then takes the starting estimate of log Z at β = 1 (variance v0) as an
// observation of ẑ_0.
func (f *ladderFilter) start(start, v0 float64) {
	k := len(f.betas)
	f.z[k-1] = f.anchor
	clear(f.p)
	for r := k - 2; r >= 0; r-- {
		f.z[r] = f.z[r+1] + f.gap[r]
	}
	for i := range k {
		for j := range k {
			v := 0.0
			for l := max(i, j); l < k-1; l++ {
				v += f.gapSE[l] * f.gapSE[l]
			}
			f.p[i*k+j] = v
		}
	}
	f.observe(0, -1, start, v0)
}

// save records the chains and their log densities as those of the last
// observation.
func (f *ladderFilter) save() {
	for k := range f.prevViews {
		copyViews(f.prevViews[k], f.views[k])
		copy(f.lPrevPrev[k], f.lNowNow[k])
	}
}

// step runs the filter's predict and update with the time ratios in
// delta/deltaSE and the between-rung ratios in gap/gapSE.
func (f *ladderFilter) step() {
	k := len(f.betas)
	for r := range k {
		if f.betas[r] > 0 {
			f.delta[r] += f.bias
		}
	}
	c, inflate := 1.0, []float64(nil)
	if f.noise != nil {
		f.noise.chains(f)
		c = f.noise.timeRatios(f)
		inflate = f.noise.tau
	}
	for r := range k {
		f.z[r] += f.delta[r]
		f.p[r*k+r] += c*f.deltaSE[r]*f.deltaSE[r] + f.q
	}
	f.observe(k-1, -1, f.anchor, 0)
	if f.noBridge {
		return
	}
	if f.noise != nil {
		nu, s := f.anchor-f.z[0], f.p[0]
		for r, g := range f.gap {
			nu += g
			s += f.gapVar(r, inflate)
		}
		f.noise.innovation(nu, s)
	}
	for r := range f.gap {
		f.observe(r, r+1, f.gap[r], f.gapVar(r, inflate))
	}
}

// gapVar is the variance the filter gives the between-rung ratio of link
// r: se(ĝ_r)², times the larger of its rungs' autocorrelation times if
// inflate (per rung) is not nil.
func (f *ladderFilter) gapVar(r int, inflate []float64) float64 {
	v := f.gapSE[r] * f.gapSE[r]
	if inflate != nil {
		v *= max(inflate[r], inflate[r+1])
	}
	return v
}

// sd is the standard deviation of the tracked log Z at β = 1: √P_00, or
// with the noise model √(P_00 + σ_e²).
func (f *ladderFilter) sd() float64 {
	v := f.p[0]
	if f.noise != nil {
		v += f.noise.slow
	}
	return math.Sqrt(v)
}

// observe updates the state with one scalar observation y = hᵀζ + ε,
// ε ~ N(0, r), where h = e_i − e_j (or e_i for j < 0). An observation whose
// predicted variance hᵀPh + r is not positive (the anchor once known
// exactly) carries no information and changes nothing.
func (f *ladderFilter) observe(i, j int, y, r float64) {
	k := len(f.z)
	pred := f.z[i]
	for a := range k {
		f.ph[a] = f.p[a*k+i]
		if j >= 0 {
			f.ph[a] -= f.p[a*k+j]
		}
	}
	s := f.ph[i] + r
	if j >= 0 {
		pred -= f.z[j]
		s -= f.ph[j]
	}
	if !(s > 0) {
		return
	}
	innov := y - pred
	for a := range k {
		f.z[a] += f.ph[a] * innov / s
	}
	for a := range k {
		for b := range k {
			f.p[a*k+b] -= f.ph[a] * f.ph[b] / s
		}
	}
	for a := range k { // rounding must not make a variance negative
		f.p[a*k+a] = math.Max(f.p[a*k+a], 0)
	}
}

// bridged is the estimate of log Z_t at β = 1 from the last between-rung
// ratios and the anchor alone, anchor + Σ_k ĝ_k, with its σ.
func (f *ladderFilter) bridged() (logZ, sd float64) {
	logZ, v := f.anchor, 0.0
	for k, g := range f.gap {
		logZ += g
		v += f.gapSE[k] * f.gapSE[k]
	}
	return logZ, math.Sqrt(v)
}

// checkLadder says why betas cannot carry the filter: it must run from
// β = 1 down to β = 0, strictly decreasing (NewTempering checks the rest).
func checkLadder(name string, betas []float64) error {
	if len(betas) < 2 || betas[0] != 1 || betas[len(betas)-1] != 0 {
		return fmt.Errorf("runtime: tracking log Z of %s with the Kalman filter: the ladder must run from β = 1 down to β = 0 (whose log Z is the base's), got %v", name, betas)
	}
	return nil
}
