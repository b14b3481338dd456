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

// BetweenConfig configures annealed importance sampling between two models
// (AISBetween).
type BetweenConfig struct {
	// AISConfig gives the temperatures, the runs, the seed and the
	// progress writer; its Path must be the default.
	AISConfig
	// Burn is the number of Gibbs sweeps the runs make at the model they
	// start from before the annealing: the estimate is only as good as
	// those states are samples of it.
	Burn int
	// Start, if not nil, are the states the runs start from, one slice per
	// layer of the start model as its Layers() lists them (as ReverseAISFrom
	// takes them); their number of states sets the runs. Nil starts every
	// run at the start model's random initial state.
	Start [][]float64
	// Reverse starts the runs at m1 and anneals down to m0, where the
	// forward direction starts at m0 and anneals up to m1. Forward AIS's
	// log Z₁ errs low when the runs miss part of m1's mass; reverse AIS's
	// errs high when its start misses part of m1's, so the two bracket
	// log Z₁ when both start from samples.
	Reverse bool
}

// AISBetween estimates log Z₁ of m1 from a known log Z₀ of m0 by annealed
// importance sampling (Neal 2001) along the path of Salakhutdinov & Murray
// (2008, §3.2, where m0 is a factorial base), both models' energies
// tempered and their hidden layers summed out:
//
//	f_β(v) = Σ_{h₀,h₁} exp(−(1−β)·E₀(v, h₀) − β·E₁(v, h₁))
//	       = exp(−F₀(v; 1−β) − F₁(v; β)),
//
// with F(v; β) = −log Σ_h exp(−β·E(v, h)) each model's free energy of its
// visible layers at inverse temperature β. The two models share their
// visible layers (names, kinds and shapes) and may differ in everything
// else. A transition at β samples h₀ at 1−β and h₁ at β, then each
// visible layer from the combined field (1−β)·a₀ + β·a₁ (and, for gaussian
// units, precision (1−β)·P₀ + β·P₁), which leaves f_β invariant. The path
// normalises to Z₀·S₁ at β = 0 and Z₁·S₀ at β = 1, where S = Σ_h 1 =
// exp(−F(v; 0)) counts a model's hidden states; so
//
//	log Z₁ = log Z₀ + log S₁ − log S₀ + log mean_runs w.
//
// A short path — m1 trained from m0, or m0 a model whose log Z is known
// and whose modes m1 kept — anneals where AIS from a factorial base has to
// find every mode of m1 from scratch. The interval is the runs' ±3σ on
// log mean w, shifted by log Z₀; log Z₀'s own error adds to it.
//
// Models with lateral couplings inside a visible layer are refused (one
// block draw of the layer would not be a Gibbs step), and so are hidden
// layers whose states cannot be counted (gaussian hidden units: S is
// infinite).
func AISBetween(m0, m1 runtime.Reflective, logZ0 float64, cfg BetweenConfig) (*Estimate, error) {
	t0 := time.Now()
	name := fmt.Sprintf("runtime: AIS from %s to %s", m0.ModelName(), m1.ModelName())
	p, err := newBetweenPath(m0, m1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	betas, err := cfg.Schedule()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if cfg.Path != PathVisible {
		return nil, fmt.Errorf("%s: the path between two models keeps the visible layers; Path must be the default", name)
	}
	if cfg.Burn < 0 {
		return nil, fmt.Errorf("%s: %d burn-in sweeps", name, cfg.Burn)
	}
	from := m0 // the model the runs start at
	if cfg.Reverse {
		from = m1
	}
	if cfg.Start != nil {
		if cfg.Runs, err = checkStates(from.Layers(), cfg.Start); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	} else if cfg.Runs, err = cfg.runs(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.chains(cfg.Runs, cfg.Seed)
	defer p.release()
	p.start(cfg.Reverse, cfg.Start, cfg.Burn)
	logS0, logS1, err := p.counts()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}

	// The runs visit β in the order of the annealing: up from 0, or down
	// from 1. At each step the log weight gains log f at the new β minus
	// log f at the old one, of the same states; then the states move at the
	// new β (not after the last).
	order := slices.Clone(betas)
	if cfg.Reverse {
		slices.Reverse(order)
	}
	lw := make([]float64, cfg.Runs)
	for k := 1; k < len(order); k++ {
		p.logRatio(order[k-1], order[k], lw)
		if k < len(order)-1 {
			p.transition(order[k])
		}
		if cfg.Progress != nil && k*10/(len(order)-1) != (k-1)*10/(len(order)-1) {
			el := time.Since(t0).Seconds()
			fmt.Fprintf(cfg.Progress, "AIS from %s to %s: β = %.3f (temperature %d of %d), %.1fs, about %.0fs left\n",
				m0.ModelName(), m1.ModelName(), order[k], k, len(order)-1, el, el*float64(len(order)-1-k)/float64(k))
		}
	}
	mean, low, high := logMeanExpInterval(lw)
	// Forward: E[w] = Z₁S₀ / (Z₀S₁). Reverse: E[w] = Z₀S₁ / (Z₁S₀).
	shift := logZ0 + logS1 - logS0
	est := &Estimate{LogZBase: logZ0, LogW: lw, ESS: stats.KishESS(lw)}
	dir, first := "AIS", "the first model"
	est.LogZ, est.Low, est.High = shift+mean, shift+low, shift+high
	if cfg.Reverse {
		dir, first = "reverse AIS", "the second model"
		est.LogZ, est.Low, est.High = shift-mean, shift-high, shift-low
	}
	est.Method = fmt.Sprintf("%s between two models (from the first's log Z to the second's), %d temperatures, %d runs, %d sweeps of %s first",
		dir, len(betas)-1, cfg.Runs, cfg.Burn, first)
	est.Seconds = time.Since(t0).Seconds()
	return est, nil
}

// betweenPath holds the two models of AISBetween, the matching of their
// visible layers and one batch of chains of each, which always agree on
// the visible layers' states.
type betweenPath struct {
	m        [2]runtime.Reflective
	fe       [2]int              // each model's free energy of its visible layers
	kept     [2][]int            // the visible layers, in m0's order, as each model numbers them
	summed   [2][]int            // the other layers
	visible  []runtime.LayerInfo // the visible layers, as m0 describes them
	x        [2]runtime.Chains
	views    [2][]runtime.Tensor
	rng      *runtime.RNG
	a, prec  [2][]float64 // one visible layer's fields of every chain
	f0, f1   [2][]float64 // free energies at the old and new β
	combined []float64
	combPrec []float64
}

func newBetweenPath(m0, m1 runtime.Reflective) (*betweenPath, error) {
	p := &betweenPath{m: [2]runtime.Reflective{m0, m1}}
	var keep [2][]string
	for i, m := range p.m {
		p.fe[i] = VisibleFreeEnergy(m)
		if p.fe[i] < 0 {
			return nil, fmt.Errorf("%s has no free energy of its visible layers with the others summed out", m.ModelName())
		}
		keep[i] = m.FreeEnergies()[p.fe[i]].Keep
	}
	if !sameNames(keep[0], keep[1]) {
		return nil, fmt.Errorf("the two models keep different visible layers: %v and %v", keep[0], keep[1])
	}
	for i, m := range p.m {
		layers := m.Layers()
		lateral := icmLateral(m)
		index := map[string]int{}
		for l, ly := range layers {
			index[ly.Name] = l
			if !ly.Visible {
				if !ly.Kind.Binary() && ly.Kind != runtime.KindSoftmax {
					return nil, fmt.Errorf("%s's layer %s is %s: its states cannot be counted (the path's normaliser at β = 0 would be infinite)", m.ModelName(), ly.Name, ly.Kind)
				}
				p.summed[i] = append(p.summed[i], l)
			}
		}
		for _, n := range keep[0] {
			l := index[n]
			if lateral[l] {
				return nil, fmt.Errorf("%s's layer %s has couplings among its own units: drawing it in one block would not be a Gibbs step", m.ModelName(), n)
			}
			p.kept[i] = append(p.kept[i], l)
			if i == 0 {
				p.visible = append(p.visible, layers[l])
				continue
			}
			want := p.visible[len(p.kept[i])-1]
			if layers[l].Kind != want.Kind || !slices.Equal(layers[l].Shape, want.Shape) {
				return nil, fmt.Errorf("layer %s is %s %v in %s and %s %v in %s", n, want.Kind, want.Shape, m0.ModelName(), layers[l].Kind, layers[l].Shape, m.ModelName())
			}
		}
	}
	return p, nil
}

// sameNames reports whether a and b hold the same names in any order.
func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// chains makes n chains of each model and their scratch.
func (p *betweenPath) chains(n int, seed uint64) {
	for i, m := range p.m {
		p.x[i] = m.NewChains(n, seed^uint64(0xb7e0+i))
		m.HoldParams(p.x[i], true)
		p.views[i] = p.x[i].Layers()
		p.f0[i], p.f1[i] = make([]float64, n), make([]float64, n)
	}
	size := 0
	for _, ly := range p.visible {
		size = max(size, layout.Product(ly.Shape))
	}
	for i := range p.m {
		p.a[i], p.prec[i] = make([]float64, n*size), make([]float64, n*size)
	}
	p.combined, p.combPrec = make([]float64, n*size), make([]float64, n*size)
	rng := runtime.NewRNG(seed, 0xb7e2)
	p.rng = &rng
}

func (p *betweenPath) release() {
	for i, m := range p.m {
		m.HoldParams(p.x[i], false)
	}
}

// start puts the chains of the start model (m1 when reverse) at start, or
// leaves them at their random initial states, runs burn sweeps of it at
// β = 1, and copies its visible layers into the other model's chains.
func (p *betweenPath) start(reverse bool, start [][]float64, burn int) {
	s := 0
	if reverse {
		s = 1
	}
	for l, st := range start {
		copy(p.views[s][l].Data, st)
	}
	for range burn {
		p.m[s].Sweep(p.x[s], 1)
	}
	p.copyVisible(s)
}

// copyVisible copies the visible layers of model s's chains into the other's.
func (p *betweenPath) copyVisible(s int) {
	for j := range p.visible {
		copy(p.views[1-s][p.kept[1-s][j]].Data, p.views[s][p.kept[s][j]].Data)
	}
}

// counts returns log S₀ and log S₁, the logs of the two models' numbers of
// hidden states, as their free energies at β = 0 give them (the same for
// every state of the visible layers).
func (p *betweenPath) counts() (logS0, logS1 float64, err error) {
	var s [2]float64
	for i, m := range p.m {
		m.FreeEnergy(p.x[i], p.fe[i], 0, p.f0[i])
		s[i] = -p.f0[i][0]
		for _, f := range p.f0[i] {
			if math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f+s[i]) > 1e-9*(1+math.Abs(s[i])) {
				return 0, 0, fmt.Errorf("%s's free energy at β = 0 is %v, not one finite count of its hidden states", m.ModelName(), f)
			}
		}
	}
	return s[0], s[1], nil
}

// logRatio adds log f_{to}(v) − log f_{from}(v) of the chains' current
// visible states to lw.
func (p *betweenPath) logRatio(from, to float64, lw []float64) {
	p.m[0].AnnealStep(p.x[0], p.fe[0], 1-from, 1-to, p.f0[0], p.f1[0], false)
	p.m[1].AnnealStep(p.x[1], p.fe[1], from, to, p.f0[1], p.f1[1], false)
	for c := range lw {
		lw[c] += p.f0[0][c] + p.f0[1][c] - p.f1[0][c] - p.f1[1][c]
	}
}

// transition is one Gibbs sweep of the joint (v, h₀, h₁) at β: each
// model's hidden layers at its own inverse temperature, then every visible
// layer from the two models' fields combined.
func (p *betweenPath) transition(beta float64) {
	w := [2]float64{1 - beta, beta}
	for i, m := range p.m {
		for _, l := range p.summed[i] {
			m.Sample(p.x[i], l, w[i])
		}
	}
	n := p.x[0].Len()
	for j, ly := range p.visible {
		size := layout.Product(ly.Shape)
		a, prec := p.combined[:n*size], p.combPrec[:n*size]
		clear(a)
		clear(prec)
		for i, m := range p.m {
			ai, pi := p.a[i][:n*size], p.prec[i][:n*size]
			m.Field(p.x[i], p.kept[i][j], ai, pi)
			runtime.Axpy(w[i], ai, a)
			if ly.Kind == runtime.KindGaussian {
				runtime.Axpy(w[i], pi, prec)
			}
		}
		dst := p.views[0][p.kept[0][j]].Data
		k := 1
		if ly.Kind == runtime.KindSoftmax {
			k = ly.Shape[len(ly.Shape)-1]
		}
		for c := range n {
			ly.Kind.Draw(p.rng, k, a[c*size:(c+1)*size], prec[c*size:(c+1)*size], dst[c*size:(c+1)*size])
		}
		copy(p.views[1][p.kept[1][j]].Data, dst)
	}
}
