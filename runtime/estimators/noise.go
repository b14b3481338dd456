package estimators

import "math"

// noiseModel estimates, while a ladderFilter runs, how much its
// observations really scatter, where BAR's standard errors assume that
// every observation rests on fresh independent samples. The ladder's
// chains are persistent: successive observations see nearly the same
// states, and chains that lag behind a moving model are not samples of it.
// Two corrections follow, both estimated online from what the filter
// already computes:
//
// Between-rung observations: their errors are correlated in time, as the
// chains' states are. For every rung r and chain i let
//
//	u_i(t) = ∂/∂β log p*_{t,β}(X^r_{t,i}) = log p*_t(x) − log p_A(x),
//
// the quantity whose differences across rungs are the log-weights of the
// between-rung BAR (l = (β_k − β_{k+1})·u on the geometric path), and
// d_i(t) = u_i(t) − mean_j u_j(t) its deviation from the rung's mean at
// that moment (which removes what the moving parameters do to all chains
// alike). Its integrated autocorrelation time τ = 1 + 2 Σ_{s≥1} ρ(s) is
// estimated by batch means (Flegal & Jones 2010; Sokal 1997): over batches
// of b observations,
//
//	τ̂_r = [(1/n) Σ_i (Σ_{t∈batch} d_i(t))² / b] / [(1/(n·b)) Σ_i Σ_{t∈batch} d_i(t)²],
//
// the long-run variance of the chains over their marginal variance,
// averaged over the last few batches (before the first batch ends, from
// the partial one), and at least 1. An observation that averages N
// successive between-rung ratios as independent has a variance τ times
// too small — Var(mean of N) = σ²·τ/N for a series of integrated
// autocorrelation time τ — so the filter takes each with the variance
//
//	r_k = se(ĝ_k)² · max(τ̂_k, τ̂_{k+1}),
//
// the effective sample size of the chains being n/τ per observation (the
// larger of the two rungs' bounds the BAR variance, which adds the two
// sides' contributions).
//
// Time ratios: their error is set by how far the chains' distribution is
// from p_t (the lag behind the parameters), not by sampling noise, and is
// visible only against the between-rung observations: the innovations
// (Mehra 1972; covariance matching, Myers & Tapley 1976)
//
//	ν_k = ĝ_{t,k} − (ẑ_{t−1,k} + δ̂_{t,k} − ẑ_{t−1,k+1} − δ̂_{t,k+1})
//
// have the variance E[ν_k²] = A_k + c·B_k, where
// A_k = hᵀP_{t−1}h + se(ĝ_k)² and B_k = se(δ̂_k)² + se(δ̂_{k+1})² when
// the time ratios' variances are c·se². The filter takes
//
//	c = max(1, ⟨Σ_k (ν_k² − A_k)⟩ / ⟨Σ_k B_k⟩),
//
// ⟨·⟩ an exponentially weighted mean over about b observations, and
// predicts with P⁻ = P + diag(c·se(δ̂)² + q). A systematic error of the time
// ratios (a drift) enters ν² as its square and so widens c as well.
//
// Neither correction changes the observations, only their weights: the
// filter then leans on the ladder as much as its scatter allows, and
// σ = √P_00 is the error bar of the chains' real information.
type noiseModel struct {
	b       int         // batch length, observations
	sum     [][]float64 // per rung, per chain: Σ_{t∈batch} d_i(t)
	ss      []float64   // per rung: Σ_{t∈batch} Σ_i d_i(t)²
	filled  int         // observations in the current batch
	batches int         // batches ended
	lr, mv  []float64   // per rung: the batches' mean long-run and marginal variances
	tau     []float64   // per rung: τ̂

	num, den float64 // ⟨Σ_k (ν_k² − A_k)⟩ and ⟨Σ_k B_k⟩
	seen     int     // innovations seen
	scale    float64 // c
}

// noiseMemory is the number of batches whose τ̂ are averaged.
const noiseMemory = 4

// newNoiseModel allocates the noise model of a ladder of k rungs of n
// chains, batches of b observations.
func newNoiseModel(k, n, b int) *noiseModel {
	m := &noiseModel{b: b, ss: make([]float64, k), lr: make([]float64, k), mv: make([]float64, k), tau: make([]float64, k), scale: 1}
	m.sum = make([][]float64, k)
	for r := range m.sum {
		m.sum[r] = make([]float64, n)
	}
	for r := range m.tau {
		m.tau[r] = 1
	}
	return m
}

// chains adds the current observation's chains (f's lNowNow, up, down) to
// the batch means and updates τ̂.
func (m *noiseModel) chains(f *ladderFilter) {
	last := len(f.betas) - 1
	for r := range f.betas {
		now, other, db := f.lNowNow[r], f.up[r], f.betas[r]-f.betas[max(r-1, 0)]
		if r < last {
			other, db = f.down[r], f.betas[r]-f.betas[r+1]
		}
		// u_i = (log p*_{β_r} − log p*_{β'})/(β_r − β') for the neighbour β'.
		mean := 0.0
		for i := range now {
			mean += now[i] - other[i]
		}
		mean /= float64(len(now))
		s := m.sum[r]
		for i := range now {
			d := (now[i] - other[i] - mean) / db
			s[i] += d
			m.ss[r] += d * d
		}
	}
	m.filled++
	done := m.filled == m.b
	if done {
		m.batches++
	}
	w := 1 / float64(min(max(m.batches, 1), noiseMemory))
	for r, s := range m.sum {
		if !(m.ss[r] > 0) {
			continue
		}
		lr := 0.0
		for _, v := range s {
			lr += v * v
		}
		lr /= float64(len(s) * m.filled)
		mv := m.ss[r] / float64(len(s)*m.filled)
		switch {
		case done:
			m.lr[r] += w * (lr - m.lr[r])
			m.mv[r] += w * (mv - m.mv[r])
			m.tau[r] = math.Max(1, m.lr[r]/m.mv[r])
		case m.batches == 0: // no batch has ended: the partial one
			m.tau[r] = math.Max(1, lr/mv)
		}
	}
	if done {
		m.filled = 0
		clear(m.ss)
		for _, s := range m.sum {
			clear(s)
		}
	}
}

// innovations updates c from the innovations of the between-rung
// observations against the state before the prediction and returns it.
func (m *noiseModel) innovations(f *ladderFilter) float64 {
	k := len(f.z)
	var num, den float64
	for r := range f.gap {
		nu := f.gap[r] - (f.z[r] + f.delta[r] - f.z[r+1] - f.delta[r+1])
		a := f.p[r*k+r] + f.p[(r+1)*k+r+1] - 2*f.p[r*k+r+1] + f.gapSE[r]*f.gapSE[r]
		num += nu*nu - a
		den += f.deltaSE[r]*f.deltaSE[r] + f.deltaSE[r+1]*f.deltaSE[r+1]
	}
	m.seen++
	w := 1 / float64(min(m.seen, m.b))
	m.num += w * (num - m.num)
	m.den += w * (den - m.den)
	if m.den > 0 {
		m.scale = math.Max(1, m.num/m.den)
	}
	return m.scale
}
