package estimators

import "math"

// noiseModel estimates, while a ladderFilter runs, how much its
// observations really scatter, where BAR's standard errors assume that
// every observation rests on fresh independent samples. The ladder's
// chains are persistent: successive observations see nearly the same
// states, and chains that lag behind a moving model are not samples of it.
// Three corrections follow, all estimated online from what the filter
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
// correlated from one observation to the next (it drifts). It shows only
// against the between-rung observations, which do not accumulate it: per
// link k, the change of the gap that the time ratios imply since the start
// less the gap observed now,
//
//	G_{t,k} = Σ_{s≤t} (δ̂_{s,k} − δ̂_{s,k+1}) − ĝ_{t,k},
//
// has increments over w observations whose error is that of w time ratios
// less the change of ĝ's error. Its structure function (the variogram of
// geostatistics, or the Allan variance of clocks) M(w) = ⟨Σ_k (G_{t,k} −
// G_{t−w,k})²⟩ therefore grows with w as c·S(w) + (a part from ĝ that
// levels off once ĝ's errors decorrelate), where S(w) = ⟨Σ_k Σ over the
// window of se(δ̂_k)² + se(δ̂_{k+1})²⟩ is what BAR claims. With two lags,
// 1 and b,
//
//	c = max(1, (M(b) − M(1)) / (S(b) − S(1))),
//
// ⟨·⟩ an exponentially weighted mean over about b observations (c = 1 until
// b+1 observations are in); the filter predicts with
// P⁻ = P + diag(c·se(δ̂)² + q). A drift of the time ratios makes M(b) grow
// as b² and so widens c as well: c is the per-observation variance that
// matches the time ratios' real error over b observations, about the
// filter's memory.
//
// A slow error of the filter: what neither correction above models (a
// systematic error of the time ratios that the filter follows for a
// while) leaves the filter off by an error e that changes slowly. Its
// innovations at β = 1, after the anchor,
//
//	ν_t = (anchor + Σ_k ĝ_{t,k}) − ẑ⁻_{t,0},   s_t = P⁻_00 + Σ_k r_k,
//
// are white with variance s_t if the filter is right, so that the mean of
// b successive ones has the variance ⟨s⟩/b; an error e shared by the b
// observations adds e² to it. The overlapping batch means (Meketon &
// Schmeiser 1984) m_t = (1/b) Σ_{s∈(t−b, t]} ν_s give
//
//	σ_e² = max(0, ⟨m_t²⟩ − ⟨(1/b²) Σ_{s∈(t−b, t]} s_s⟩),
//
// ⟨·⟩ averaged over about 4b observations, and the tracked log Z reports
// σ² = P_00 + σ_e². It sees a slow error only through the ladder, so it
// cannot see an error that the ladder's ratios share.
//
// None of this changes the observations, only their weights and the
// reported σ: the filter then leans on the ladder as much as its scatter
// allows, and σ is the error bar of the chains' real information.
type noiseModel struct {
	b       int         // batch length, observations
	sum     [][]float64 // per rung, per chain: Σ_{t∈batch} d_i(t)
	ss      []float64   // per rung: Σ_{t∈batch} Σ_i d_i(t)²
	filled  int         // observations in the current batch
	batches int         // batches ended
	lr, mv  []float64   // per rung: the batches' mean long-run and marginal variances
	tau     []float64   // per rung: τ̂

	cum    []float64   // per link: Σ_{s≤t} (δ̂_{s,k} − δ̂_{s,k+1})
	cumS   float64     // Σ_{s≤t} Σ_k se(δ̂_{s,k})² + se(δ̂_{s,k+1})²
	gHist  [][]float64 // per link: G_{t,k} of the last b+1 observations, a ring
	sHist  []float64   // cumS of the last b+1 observations, the same ring
	seen   int         // observations seen
	m1, mb float64     // M(1), M(b)
	s1, sb float64     // S(1), S(b)
	scale  float64     // c

	nu, nuS     []float64 // ν_t and s_t of the last b observations, a ring
	nuSum, sSum float64   // their sums
	nuSeen      int
	m2, sv      float64 // ⟨m_t²⟩ and ⟨Σ s/b²⟩
	slow        float64 // σ_e²
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
	m.cum, m.sHist = make([]float64, k-1), make([]float64, b+1)
	m.nu, m.nuS = make([]float64, b), make([]float64, b)
	m.gHist = make([][]float64, k-1)
	for r := range m.gHist {
		m.gHist[r] = make([]float64, b+1)
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

// timeRatios adds the observation's time ratios and between-rung ratios
// to the structure functions and returns c.
func (m *noiseModel) timeRatios(f *ladderFilter) float64 {
	ring := m.b + 1
	now, prev, far := m.seen%ring, (m.seen+ring-1)%ring, (m.seen+1)%ring // far: b observations ago
	for r := range f.gap {
		m.cum[r] += f.delta[r] - f.delta[r+1]
		m.cumS += f.deltaSE[r]*f.deltaSE[r] + f.deltaSE[r+1]*f.deltaSE[r+1]
		m.gHist[r][now] = m.cum[r] - f.gap[r]
	}
	m.sHist[now] = m.cumS
	m.seen++
	if m.seen <= m.b {
		return m.scale
	}
	var m1, mb float64
	for _, g := range m.gHist {
		m1 += (g[now] - g[prev]) * (g[now] - g[prev])
		mb += (g[now] - g[far]) * (g[now] - g[far])
	}
	w := 1 / float64(min(m.seen-m.b, m.b))
	m.m1 += w * (m1 - m.m1)
	m.mb += w * (mb - m.mb)
	m.s1 += w * (m.sHist[now] - m.sHist[prev] - m.s1)
	m.sb += w * (m.sHist[now] - m.sHist[far] - m.sb)
	if d := m.sb - m.s1; d > 0 {
		m.scale = math.Max(1, (m.mb-m.m1)/d)
	}
	return m.scale
}

// innovation adds the filter's innovation ν at β = 1 and its predicted
// variance s to the overlapping batch means and updates σ_e².
func (m *noiseModel) innovation(nu, s float64) {
	i := m.nuSeen % m.b
	m.nuSum += nu - m.nu[i]
	m.sSum += s - m.nuS[i]
	m.nu[i], m.nuS[i] = nu, s
	m.nuSeen++
	if m.nuSeen < m.b {
		return
	}
	if i == m.b-1 { // renew the running sums against rounding
		m.nuSum, m.sSum = 0, 0
		for j := range m.nu {
			m.nuSum += m.nu[j]
			m.sSum += m.nuS[j]
		}
	}
	b := float64(m.b)
	mean := m.nuSum / b
	w := 1 / float64(min(m.nuSeen-m.b+1, 4*m.b))
	m.m2 += w * (mean*mean - m.m2)
	m.sv += w * (m.sSum/(b*b) - m.sv)
	m.slow = math.Max(0, m.m2-m.sv)
}
