package estimators

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/internal/layout"
	"github.com/ebmc/ebmc/runtime/internal/stats"
)

// Linked importance sampling (Neal 2005, "Estimating ratios of normalizing
// constants using linked importance sampling").

// LISConfig configures linked importance sampling: the path's inverse
// temperatures and the number of runs as for AIS (AISConfig's Betas,
// Temperatures, Runs, Seed; Progress is not used), and States, the length
// of the Markov chain sampled at each distribution of the path.
type LISConfig struct {
	AISConfig
	// States is the number n ≥ 2 of states of each distribution's chain:
	// n − 1 transitions per distribution. 0 means 10.
	States int
}

// DefaultLISStates is the number of states per distribution when
// LISConfig.States is 0.
const DefaultLISStates = 10

// LIS estimates log Z by linked importance sampling (Neal 2005) along the
// geometric path p_β ∝ p_A^{1−β}·p*^β of AIS, β_0 = 0 < … < β_K = 1. Each
// run samples, for every distribution j, a chain x_{j,0}, …, x_{j,n−1} of
// a Markov kernel T_j that leaves p_j invariant and is reversible; the
// chains are linked: chain j contains, at a position ν_j drawn uniformly
// from 0 … n−1, a state of chain j−1 chosen with probability proportional
// to
//
//	ρ_{j−1}(x) = q_j(x)/p*_{j−1}(x) = exp(½·Δ_j(x)),   Δ_j = log p*_j − log p*_{j−1},
//
// with the geometric bridge q_j = √(p*_{j−1}·p*_j), and is simulated
// forward from it (by T_j) to position n−1 and backward (by its reversal,
// T_j itself) to position 0. Chain 0 holds n independent samples of the
// base. One run's estimate of Z_K/Z_0 is then the product over the links
// of bridge-sampling ratios,
//
//	r̂ = Π_{j=1..K} [ (1/n) Σ_i exp(½·Δ_j(x_{j−1,i})) ] / [ (1/n) Σ_i exp(−½·Δ_j(x_{j,i})) ],
//
// which is unbiased (Neal 2005, §3), and log Ẑ = log Z_0 + log mean r̂ over
// the runs, with the ±3σ interval and Kish's ESS of the runs' r̂ as for AIS.
// With n = 1 the chains never move and LIS is importance sampling from the
// base; with more states per distribution a link can pick among them the
// state most typical of the next distribution, where AIS must carry its
// single state on.
//
// T_j is a reversible Gibbs kernel, built from the model's clamped sweeps:
// the hidden layers that the path's free energy sums out are drawn given
// the rest, then the layers the free energy keeps are updated in the
// palindromic order 1, 2, …, m, …, 2, 1 (a layer whose units are coupled to
// each other unit by unit, or softmax group by group). A chain's state is
// what the free energy keeps, as in AIS, and the kernel on it is
// reversible. For a restricted Boltzmann machine T_j is one Gibbs sweep.
//
// A run costs n draws from the base and K·(n − 1) transitions; AIS with
// K·(n − 1) temperatures costs as many transitions, and LIS evaluates the
// path density three times per state where AIS does twice. The runs are
// one batch of chains.
func LIS(m runtime.Reflective, base *Base, cfg LISConfig) (*Estimate, error) {
	return lis(m, base, cfg, false)
}

// lis is LIS; with uniformLink (a deliberately wrong variant, for tests)
// the link state is chosen uniformly instead of in proportion to ρ.
func lis(m runtime.Reflective, base *Base, cfg LISConfig, uniformLink bool) (*Estimate, error) {
	start := time.Now()
	betas, err := cfg.Schedule()
	if err != nil {
		return nil, fmt.Errorf("runtime: LIS of %s: %w", m.ModelName(), err)
	}
	runs, err := cfg.runs()
	if err != nil {
		return nil, fmt.Errorf("runtime: LIS of %s: %w", m.ModelName(), err)
	}
	n := cfg.States
	switch {
	case n == 0:
		n = DefaultLISStates
	case n < 1:
		return nil, fmt.Errorf("runtime: LIS of %s: States is %d; 0 means %d, otherwise it must be at least 1", m.ModelName(), n, DefaultLISStates)
	}
	z0, err := base.LogZ(m)
	if err != nil {
		return nil, err
	}
	x := m.NewChains(runs, cfg.Seed)
	m.HoldParams(x, true)
	defer m.HoldParams(x, false)
	base.apply(m, x)
	d := newPathDensity(m, base, runs)
	k := newReversibleKernel(m, d.fe)
	cur, next := m.NewChains(runs, 0), m.NewChains(runs, 0) // the link states into chain j and into chain j+1
	xv, curv, nextv := x.Layers(), cur.Layers(), next.Layers()
	rng := runtime.NewRNG(cfg.Seed, 0x4c4953)

	lw := make([]float64, runs)
	num, den, sel := make([]float64, runs), make([]float64, runs), make([]float64, runs)
	lo, mid, hi := make([]float64, runs), make([]float64, runs), make([]float64, runs)
	reset := make([]int, runs)
	logN := math.Log(float64(n))

	// visit adds the state of every run in x, at distribution j, to the
	// sums: exp(−½Δ_j) to den (j > 0), and exp(½Δ_{j+1}) to num and to the
	// weighted choice of the link into chain j+1 (j < K), a reservoir of
	// one state per run.
	visit := func(j int) {
		last := j == len(betas)-1
		d.eval(x, betas[j], mid)
		if j > 0 {
			d.eval(x, betas[j-1], lo)
			for r := range den {
				den[r] = runtime.LogAddExp(den[r], -0.5*(mid[r]-lo[r]))
			}
		}
		if last {
			return
		}
		d.eval(x, betas[j+1], hi)
		for r := range num {
			w := 0.5 * (hi[r] - mid[r])
			num[r] = runtime.LogAddExp(num[r], w)
			if uniformLink {
				w = 0
			}
			sel[r] = runtime.LogAddExp(sel[r], w)
			if rng.Float64() < math.Exp(w-sel[r]) {
				copyRun(nextv, xv, r, runs)
			}
		}
	}
	clearTo := func(s []float64) {
		for r := range s {
			s[r] = math.Inf(-1)
		}
	}

	// Chain 0: n independent samples of the base (every layer is
	// independent at β = 0, so one sweep draws one exactly).
	clearTo(num)
	clearTo(sel)
	for range n {
		m.Sweep(x, 0)
		visit(0)
	}
	for j := 1; j < len(betas); j++ {
		for r := range lw {
			lw[r] += num[r] - logN
		}
		cur, next = next, cur
		curv, nextv = nextv, curv
		clearTo(num)
		clearTo(den)
		clearTo(sel)
		// The link sits at ν, uniform on 0 … n−1: n−1−ν steps forward from
		// it, then back to it and ν steps backward.
		for r := range reset {
			reset[r] = n - 1 - rng.Intn(n)
		}
		copyViews(xv, curv)
		visit(j)
		for s := 1; s < n; s++ {
			for r, at := range reset {
				if s == at+1 {
					copyRun(xv, curv, r, runs)
				}
			}
			k.step(x, betas[j])
			visit(j)
		}
		for r := range lw {
			lw[r] -= den[r] - logN
		}
	}
	mean, low, high := logMeanExpInterval(lw)
	return &Estimate{Method: fmt.Sprintf("linked importance sampling, %d distributions, %d states each, %d runs", len(betas)-1, n, runs),
		LogZ: z0 + mean, Low: z0 + low, High: z0 + high, LogZBase: z0, LogW: lw,
		ESS: stats.KishESS(lw), Seconds: time.Since(start).Seconds()}, nil
}

// copyRun copies chain r of src into chain r of dst (Layers views of n
// chains of one model).
func copyRun(dst, src []runtime.Tensor, r, n int) {
	for i, s := range src {
		size := len(s.Data) / n
		copy(dst[i].Data[r*size:(r+1)*size], s.Data[r*size:(r+1)*size])
	}
}

// reversibleKernel is a Gibbs kernel that leaves p_β of the layers a free
// energy keeps invariant and is reversible with respect to it: the layers
// summed out are drawn given the kept ones (hidden), then the kept layers
// are updated site by site in a palindromic order, each site a whole layer
// whose units are conditionally independent, or one unit (softmax group) of
// a layer with lateral couplings.
type reversibleKernel struct {
	m      runtime.Reflective
	hidden [][]bool   // nil: nothing is summed out
	sites  [][][]bool // the clamps of the palindrome's sites, in order
}

func newReversibleKernel(m runtime.Reflective, fe int) *reversibleKernel {
	layers := m.Layers()
	kept := make([]bool, len(layers))
	for i := range kept {
		kept[i] = fe < 0
	}
	if fe >= 0 {
		info := m.FreeEnergies()[fe]
		for i, ly := range layers {
			kept[i] = slices.Contains(info.Keep, ly.Name)
		}
	}
	all := func() [][]bool {
		c := make([][]bool, len(layers))
		for i, ly := range layers {
			c[i] = runtime.Mask(layout.Product(ly.Shape), true)
		}
		return c
	}
	k := &reversibleKernel{m: m}
	if slices.Contains(kept, false) {
		k.hidden = make([][]bool, len(layers))
		for i, ly := range layers {
			if kept[i] {
				k.hidden[i] = runtime.Mask(layout.Product(ly.Shape), true)
			}
		}
	}
	lateral := icmLateral(m)
	var sites [][][]bool
	for i, ly := range layers {
		if !kept[i] {
			continue
		}
		size := layout.Product(ly.Shape)
		if !lateral[i] {
			c := all()
			c[i] = nil
			sites = append(sites, c)
			continue
		}
		group := 1
		if ly.Kind == runtime.KindSoftmax {
			group = ly.Shape[len(ly.Shape)-1]
		}
		for u := 0; u < size; u += group {
			c := all()
			for g := u; g < u+group; g++ {
				c[i][g] = false
			}
			sites = append(sites, c)
		}
	}
	for s := len(sites) - 2; s >= 0; s-- {
		sites = append(sites, sites[s])
	}
	k.sites = sites
	return k
}

// step moves x by one transition at inverse temperature beta.
func (k *reversibleKernel) step(x runtime.Chains, beta float64) {
	if k.hidden != nil {
		k.m.SweepClamped(x, beta, k.hidden)
	}
	for _, c := range k.sites {
		k.m.SweepClamped(x, beta, c)
	}
}
