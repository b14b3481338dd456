package training

import (
	"fmt"
	"math"
	"slices"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/kernels"
	"github.com/ebmc/ebmc/runtime/internal/layout"
)

// Inductive principles (Deep Learning ch. 18; Marlin et al. 2010, "Inductive
// principles for restricted Boltzmann machine learning"): ways to fit an
// energy-based model p(v) = exp(−F(v))/Z without the model expectation that
// maximum likelihood needs, or with it computed exactly. Every method works on
// any generated model through Reflective; F is the free energy of the visible
// layers (the energy when the model has no hidden layer). Each method's
// gradient is a weighted sum of ∂F/∂θ over rows — data, data with a unit
// changed, noise, perturbed data — which the generated free-energy gradient
// computes in one batched call with per-chain weights.

// The methods' names (Method.Name).
const (
	methodCD     = "cd"
	methodPCD    = "pcd"
	methodExact  = "exact"
	methodPL     = "pl"
	methodGPL    = "gpl"
	methodRatio  = "ratio"
	methodScore  = "score"
	methodDSM    = "dsm"
	methodNCE    = "nce"
	methodCond   = "conditional"
	objectiveCap = 1024 // rows evaluated in one batch unless Options.EvalRows says otherwise
	fdStep       = 1e-4 // relative step of the first differences of ∂F/∂θ
	fdStep2      = 1e-3 // step of the second differences
)

// objectiveConfig is what a trainer runs with: the Options and the fields
// of its Method (NewTrainer).
type objectiveConfig struct {
	// Method is the method's name (Method.Name).
	Method string
	// BatchSize is the largest minibatch TrainStep accepts.
	BatchSize int
	// Optimizer updates the parameters (and NCE's log Z).
	Optimizer runtime.SGD
	// Rates multiply the learning rate of the named parameters.
	Rates map[string]float64
	// Seed seeds the method's random choices (sampled sites, noise).
	Seed uint64
	// EvalRows is the most rows evaluated in one batch of chains
	// (Options.EvalRows); newObjectiveTrainer sets 0 to objectiveCap.
	EvalRows int

	// K and Chains configure the CD and PCD trainers (see CDConfig).
	K, Chains int
	// Sampler, if set to other than Gibbs, makes "pcd" advance its
	// persistent chains by K transitions of this sampler (Metropolis–Hastings,
	// Langevin) instead of the generated trainer's Gibbs sweeps; the
	// gradient is then E_data[−∂F/∂θ] + E_chains[∂F/∂θ].
	Sampler estimators.Sampler
	// Sites, for pseudo-likelihood and ratio matching, is the number of
	// sites (binary units or softmax groups) per example drawn uniformly
	// without replacement each step, the sum over all sites estimated by
	// scaling; 0 uses every site.
	Sites int
	// Limit bounds the configurations the exact method enumerates per step
	// (0 means 2²⁰).
	Limit float64
	// Slices, for score matching, is the number of random projections
	// estimating the trace of the Hessian (sliced score matching, Song et
	// al. 2019); 0 computes it exactly, at 2n + 3 gradient rows per example
	// for n visible units.
	Slices int
	// NoiseStd is the standard deviation σ of denoising score matching's
	// Gaussian corruption (0 means 0.1).
	NoiseStd float64
	// Noise is NCE's factorized noise distribution (e.g. BaseRate fitted to
	// the training data); NoiseRatio the number of noise samples per data
	// example (0 means 1).
	Noise      *estimators.Base
	NoiseRatio int
	// Label names the visible softmax layer (one group) whose conditional
	// likelihood p(y | x) the "conditional" method maximizes.
	Label string
	// Hybrid, for the "conditional" method, adds the generative gradient
	// to the discriminative one (Larochelle & Bengio 2008): each step also
	// takes a step of the model's generated CD-K trainer (PCD with Chains
	// when Chains > 0) on the same rows, at Hybrid times the learning rate.
	// 0 trains discriminatively only.
	Hybrid float64
}

// ObjectiveTrainer trains a model by one of the methods other than CD; it
// implements Trainer, so Fit drives it. TrainStep returns the batch's summed
// loss (LossName says which), whose gradient it descends:
//
//	exact   F(v) + log Z                                  (−log p(v))
//	pl      −Σ_s log p(v_s | v_−s)                         over sites s
//	ratio   Σ_i σ(F(v) − F(v^(i)))²                       v^(i): unit i flipped
//	score   Σ_i ½ψ_i² + ∂ψ_i/∂v_i                         ψ = −∂F/∂v
//	dsm     ½‖ψ(ṽ) − (v − ṽ)/σ²‖²                        ṽ = v + σε
//	nce     −log σ(G(v)) − ν·E_noise log σ(−G(u))          G = −F − c − log q − log ν
//	conditional  F(x, y) + log Σ_k exp(−F(x, e_k))         (−log p(y | x))
type ObjectiveTrainer struct {
	m       runtime.Reflective
	how     objective
	cfg     objectiveConfig
	fe      int // the visible free energy, −1: the energy
	params  []runtime.Tensor
	grad    []runtime.Tensor
	vel     [][]float64
	opt     []runtime.SGD
	norms   []float64           // scratch of the max-norm constraint
	rng     *runtime.RNG        // the method's random stream, the one of rngSt
	rngSt   runtime.StreamState // its state between steps
	layers  []objLayer          // the visible layers
	cols    int
	chains  map[int]runtime.Chains
	vals    []float64 // rows of visible values to evaluate
	w, f    []float64 // their weights and free energies
	scratch []float64
	psi     []float64

	// pl, ratio
	all   []site // every site of the visible layers
	idx   []int  // a permutation of all, for drawing sites
	spans []span // each chosen site's rows in a batch

	// exact: the side enumerated
	exactSide

	// nce
	logZ, logZVel, logZGrad []float64
	noise                   runtime.Chains
	noiseLogZ               float64

	// conditional with Hybrid: the generative trainer
	gen runtime.Trainer

	// pcd with another sampler
	neg    runtime.Chains
	stats  estimators.SamplerStats
	lq, gn []float64
}

// objLayer is a layer and where its values sit in a data row.
type objLayer struct {
	index, off, size int
	kind             runtime.UnitKind
	k                int // categories of a softmax group
}

// newObjectiveTrainer returns a trainer of m by the method o with the
// configuration cfg (NewTrainer).
func newObjectiveTrainer(m runtime.Reflective, o objective, cfg objectiveConfig) (runtime.Trainer, error) {
	name := m.ModelName()
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("runtime: %s trainer for %s: BatchSize must be positive, got %d", cfg.Method, name, cfg.BatchSize)
	}
	switch {
	case cfg.EvalRows < 0:
		return nil, fmt.Errorf("runtime: %s trainer for %s: EvalRows must not be negative, got %d", cfg.Method, name, cfg.EvalRows)
	case cfg.EvalRows == 0:
		cfg.EvalRows = objectiveCap
	}
	streams := []runtime.RNG{runtime.NewRNG(cfg.Seed, 0x0b1ec7)}
	t := &ObjectiveTrainer{m: m, how: o, cfg: cfg, fe: estimators.VisibleFreeEnergy(m), exactSide: exactSide{keepF: -1}, chains: map[int]runtime.Chains{},
		rng: &streams[0], rngSt: runtime.NewStreamState(streams, 4)}
	if t.fe < 0 && hasHidden(m) {
		return nil, fmt.Errorf("runtime: %s trainer for %s: the hidden layers cannot be summed out given the visible ones, so F(v) is not available; use cd or pcd", cfg.Method, name)
	}
	off := 0
	for i, ly := range m.Layers() {
		if ly.Visible {
			l := objLayer{index: i, off: off, size: layout.Product(ly.Shape), kind: ly.Kind}
			if ly.Kind == runtime.KindSoftmax {
				l.k = ly.Shape[len(ly.Shape)-1]
			}
			t.layers = append(t.layers, l)
			off += l.size
		}
	}
	t.cols = off
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("runtime: %s trainer for %s: %w", cfg.Method, name, err)
	}
	t.params = m.Params()
	t.norms = make([]float64, runtime.FanIn(t.params))
	t.opt = make([]runtime.SGD, len(t.params))
	names := map[string]int{}
	t.grad = runtime.ZerosLike(t.params)
	for i, p := range t.params {
		t.vel = append(t.vel, make([]float64, len(p.Data)))
		t.opt[i] = cfg.Optimizer
		if !p.Fixed {
			names[p.Name] = i
		}
	}
	for n, rate := range cfg.Rates {
		i, ok := names[n]
		if !ok {
			return nil, fmt.Errorf("runtime: %s trainer for %s: Rates names %q, which is not a trained parameter", cfg.Method, name, n)
		}
		t.opt[i].LearningRate *= rate
	}
	if err := o.setup(t); err != nil {
		return nil, fmt.Errorf("runtime: %s trainer for %s: %w", cfg.Method, name, err)
	}
	return t, nil
}

func hasHidden(m runtime.Reflective) bool {
	for _, ly := range m.Layers() {
		if !ly.Visible {
			return true
		}
	}
	return false
}

// check says why the method does not apply to the model's visible layers,
// each layer judged by the method's accepts.
func (t *ObjectiveTrainer) check() error {
	for _, l := range t.layers {
		if err := t.how.accepts(l.kind); err != nil {
			return fmt.Errorf("visible layer %s is %s; %w", t.m.Layers()[l.index].Name, l.kind, err)
		}
	}
	return t.how.check(t)
}

// checkLabel says why cfg.Label is not a visible layer of one softmax group.
func (t *ObjectiveTrainer) checkLabel() error {
	if t.cfg.Label == "" {
		return fmt.Errorf("the conditional method needs Label, the name of a visible softmax layer")
	}
	for _, l := range t.layers {
		ly := t.m.Layers()[l.index]
		if ly.Name != t.cfg.Label {
			continue
		}
		if l.kind != runtime.KindSoftmax || l.size != l.k {
			return fmt.Errorf("label layer %s is %s %v; it must be one softmax group", ly.Name, l.kind, ly.Shape)
		}
		return nil
	}
	return fmt.Errorf("no visible layer %s to be the label", t.cfg.Label)
}

// ModelName returns the model's name.
func (t *ObjectiveTrainer) ModelName() string { return t.m.ModelName() }

// Params returns the model's parameters.
func (t *ObjectiveTrainer) Params() []runtime.Tensor { return t.params }

// VisibleSize returns the number of values in a data row.
func (t *ObjectiveTrainer) VisibleSize() int { return t.cols }

// LossName names what TrainStep returns.
func (t *ObjectiveTrainer) LossName() string { return t.cfg.Method + " loss" }

// MaxBatch is the largest number of rows TrainStep takes: objectiveConfig.BatchSize.
func (t *ObjectiveTrainer) MaxBatch() int { return t.cfg.BatchSize }

// LearnedLogZ returns NCE's learned normalizer c, its estimate of log Z;
// ok is false for the other methods.
func (t *ObjectiveTrainer) LearnedLogZ() (logZ float64, ok bool) {
	if t.logZ == nil {
		return 0, false
	}
	return t.logZ[0], true
}

// State returns the optimizer velocities, the random stream and NCE's log Z.
func (t *ObjectiveTrainer) State() []runtime.Tensor {
	var s []runtime.Tensor
	for i, p := range t.params {
		s = append(s, runtime.Tensor{Name: "velocity." + p.Name, Shape: p.Shape, Data: t.vel[i]})
	}
	s = append(s, t.rngSt.Tensor())
	if t.logZ != nil {
		s = append(s, runtime.Tensor{Name: "nce.logZ", Shape: []int{}, Data: t.logZ},
			runtime.Tensor{Name: "velocity.nce.logZ", Shape: []int{}, Data: t.logZVel})
	}
	if t.gen != nil {
		for _, g := range t.gen.State() {
			g.Name = "hybrid." + g.Name
			s = append(s, g)
		}
	}
	return s
}

// TrainStep takes one descent step on the method's loss over the batch and
// returns the batch's summed loss. It uses the first MaxBatch rows of a
// larger batch (which Fit refuses).
func (t *ObjectiveTrainer) TrainStep(batch []float64, rows int, epoch int) float64 {
	t.rngSt.Load()
	defer t.rngSt.Save()
	for _, g := range t.grad {
		clear(g.Data)
	}
	rows = min(rows, t.cfg.BatchSize)
	batch = batch[:rows*t.cols]
	loss := t.how.step(t, batch, rows)
	for i, p := range t.params {
		if !p.Fixed {
			t.opt[i].Update(p.Data, t.grad[i].Data, t.vel[i], epoch)
			t.opt[i].ConstrainTensor(p, t.norms)
		}
	}
	if t.logZ != nil {
		t.cfg.Optimizer.Update(t.logZ, t.logZGrad, t.logZVel, epoch)
	}
	if t.gen != nil {
		t.gen.TrainStep(batch, rows, epoch)
	}
	return loss
}

// batchOf returns chains for n rows, reused between steps.
func (t *ObjectiveTrainer) batchOf(n int) runtime.Chains {
	x, ok := t.chains[n]
	if !ok {
		x = t.m.NewChains(n, t.cfg.Seed^uint64(n))
		t.chains[n] = x
	}
	return x
}

// load puts n rows of visible values into chains.
func (t *ObjectiveTrainer) load(vals []float64, n int) runtime.Chains {
	x := t.batchOf(n)
	layout.PutRows(t.m, x, vals, t.cols)
	return x
}

// free writes F of the n chains of x into dst.
func (t *ObjectiveTrainer) free(x runtime.Chains, dst []float64) {
	if t.fe >= 0 {
		t.m.FreeEnergy(x, t.fe, 1, dst)
	} else {
		t.m.Energy(x, dst)
	}
}

// addGrad adds Σ_r w[r]·∂F/∂θ(row r) into the ascent direction: the
// method's loss gradient with its sign flipped.
func (t *ObjectiveTrainer) addGrad(x runtime.Chains, w []float64) {
	x.SetWeights(w)
	if t.fe >= 0 {
		t.m.FreeEnergyGrad(x, t.fe, 1, t.grad)
	} else {
		t.m.EnergyGrad(x, 1, t.grad)
	}
	x.SetWeights(nil)
}

// evaluate computes F of the n rows in t.vals into t.f (in batches of
// EvalRows) and, when grad is set, adds the gradient weighted by t.w.
func (t *ObjectiveTrainer) evaluate(n int, grad bool) {
	for lo := 0; lo < n; lo += t.cfg.EvalRows {
		hi := min(n, lo+t.cfg.EvalRows)
		x := t.load(t.vals[lo*t.cols:], hi-lo)
		if grad {
			t.addGrad(x, t.w[lo:hi])
		} else {
			t.free(x, t.f[lo:hi])
		}
	}
}

// reserve sizes the row buffers for n rows.
func (t *ObjectiveTrainer) reserve(n int) {
	if cap(t.w) < n {
		t.vals = make([]float64, n*t.cols)
		t.w, t.f = make([]float64, n), make([]float64, n)
	}
	t.vals, t.w, t.f = t.vals[:n*t.cols], t.w[:n], t.f[:n]
}

// span locates the rows of one site of one example: the example itself at
// orig, its k − 1 alternatives from first on.
type span struct{ orig, first, k int }

// site is a group of binary units at the columns cols of a row (k =
// 2^len(cols): their values and every other configuration of them; one
// column is one unit and its flip) or a softmax group of k categories from
// column col.
type site struct {
	col, k int
	cols   []int
	kind   runtime.UnitKind
}

// binarySite is the site of the binary units at cols, of kind kind.
func binarySite(cols []int, kind runtime.UnitKind) site {
	return site{col: cols[0], k: 1 << len(cols), cols: cols, kind: kind}
}

// sites lists the sites of the visible layers (of the label layer alone
// for the conditional method): every softmax group, and the binary units in
// blocks of block neighbours (the last block of a layer may be shorter).
func (t *ObjectiveTrainer) sites(block int) []site {
	var s []site
	for _, l := range t.layers {
		if t.cfg.Label != "" && t.m.Layers()[l.index].Name != t.cfg.Label {
			continue
		}
		switch l.kind {
		case runtime.KindSoftmax:
			for g := 0; g < l.size/l.k; g++ {
				s = append(s, site{col: l.off + g*l.k, k: l.k, kind: l.kind})
			}
		default:
			for u := 0; u < l.size; u += block {
				cols := make([]int, min(block, l.size-u))
				for b := range cols {
					cols[b] = l.off + u + b
				}
				s = append(s, binarySite(cols, l.kind))
			}
		}
	}
	return s
}

// alternative writes into row the value of site s's alternative j
// (1 ≤ j < k): the group with the units of the bits of j flipped (the unit
// flipped, for a group of one), or the j-th other category.
func (s site) alternative(row []float64, j int) {
	switch s.kind {
	case runtime.KindBernoulli:
		for b, c := range s.cols {
			if j>>b&1 == 1 {
				row[c] = 1 - row[c]
			}
		}
	case runtime.KindSpin:
		for b, c := range s.cols {
			if j>>b&1 == 1 {
				row[c] = -row[c]
			}
		}
	case runtime.KindSoftmax:
		g := row[s.col : s.col+s.k]
		cur := slices.Index(g, 1)
		clear(g)
		g[(max(cur, 0)+j)%s.k] = 1
	}
}

// siteStep is pseudo-likelihood or ratio matching: for each example v and
// each chosen site s it evaluates F at v and at v with s changed to each
// alternative. Pseudo-likelihood descends
//
//	−log p(v_s | v_−s) = F(v) + log Σ_a exp(−F(v^a)),  gradient ∇F(v) − Σ_a p_a ∇F(v^a)
//
// over the alternatives a (v itself included, p_a ∝ exp(−F(v^a))); the
// conditional method is the same with the label group the only site; ratio
// matching descends σ(−Δ)², Δ = F(v^(s)) − F(v), gradient
// −2σ(−Δ)²σ(Δ)·(∇F(v^(s)) − ∇F(v)).
func (t *ObjectiveTrainer) siteStep(batch []float64, rows int) float64 {
	all := t.all
	chosen := len(all)
	if t.cfg.Sites > 0 {
		chosen = min(chosen, t.cfg.Sites)
	}
	scale := float64(len(all)) / float64(chosen) / float64(rows)
	perRow := 1 // the example and its alternatives at the chosen sites, at most
	for _, s := range all {
		perRow += s.k - 1
	}
	if chosen < len(all) {
		perRow = 1 + chosen*(slices.MaxFunc(all, func(a, b site) int { return a.k - b.k }).k-1)
	}
	group := max(1, t.cfg.EvalRows/perRow)
	t.reserve(group * perRow)
	idx := t.idx
	var loss float64
	for lo := 0; lo < rows; lo += group {
		hi := min(rows, lo+group)
		n := 0
		spans := t.spans[:0]
		for r := lo; r < hi; r++ {
			src := batch[r*t.cols : (r+1)*t.cols]
			orig := n
			copy(t.vals[n*t.cols:], src)
			n++
			for i := range idx {
				idx[i] = i
			}
			if chosen < len(all) {
				for i := range chosen { // a partial Fisher–Yates shuffle
					j := i + t.rng.Intn(len(idx)-i)
					idx[i], idx[j] = idx[j], idx[i]
				}
			}
			for _, si := range idx[:chosen] {
				s := all[si]
				spans = append(spans, span{orig, n, s.k})
				for j := 1; j < s.k; j++ {
					row := t.vals[n*t.cols : (n+1)*t.cols]
					copy(row, src)
					s.alternative(row, j)
					n++
				}
			}
		}
		t.spans = spans
		t.evaluate(n, false)
		clear(t.w[:n])
		for _, sp := range spans {
			f0 := t.f[sp.orig]
			if _, ratio := t.how.(Ratio); ratio {
				d := t.f[sp.first] - f0
				s := runtime.Sigmoid(-d)
				loss += s * s * scale * float64(rows)
				c := 2 * s * s * (1 - s) * scale
				t.w[sp.first] += c
				t.w[sp.orig] -= c
				continue
			}
			lse := -f0
			for a := sp.first; a < sp.first+sp.k-1; a++ {
				lse = runtime.LogAddExp(lse, -t.f[a])
			}
			loss += (f0 + lse) * scale * float64(rows)
			t.w[sp.orig] -= (1 - math.Exp(-f0-lse)) * scale
			for a := sp.first; a < sp.first+sp.k-1; a++ {
				t.w[a] += math.Exp(-t.f[a]-lse) * scale
			}
		}
		t.evaluate(n, true)
	}
	return loss
}

// initExact picks the side to enumerate (see newExactSide).
func (t *ObjectiveTrainer) initExact() error {
	s, err := newExactSide(t.m, t.cfg.Limit, "pcd")
	if err != nil {
		return err
	}
	s.batch = t.cfg.EvalRows
	t.exactSide = s
	return nil
}

// exactSide is the side of a model that exact maximum likelihood and EM
// enumerate to compute log Z and the model expectation: the layers kept by
// a free energy (or, for a model without hidden layers, all of them), all
// discrete, with the fewest configurations.
type exactSide struct {
	keep  []objLayer // the layers enumerated: the cheaper side
	keepF int        // the free energy keeping them, −1: the energy
	count int        // configurations
	batch int        // configurations evaluated in one batch of chains
}

// newExactSide picks the free energy (or, for a model without hidden
// layers, the energy) whose kept layers are all discrete and have the
// fewest configurations, at most limit (≤ 0 means 2²⁰); an error suggests
// the method instead when there are more.
func newExactSide(m runtime.Reflective, limit float64, instead string) (exactSide, error) {
	s := exactSide{keepF: -1, batch: objectiveCap}
	layers := m.Layers()
	byName := map[string]int{}
	for i, ly := range layers {
		byName[ly.Name] = i
	}
	if limit <= 0 {
		limit = 1 << 20
	}
	best := math.Inf(1)
	consider := func(fe int, names []string) {
		var keep []objLayer
		count := 1.0
		for _, n := range names {
			i := byName[n]
			ly := layers[i]
			l := objLayer{index: i, size: layout.Product(ly.Shape), kind: ly.Kind}
			switch ly.Kind {
			case runtime.KindBernoulli, runtime.KindSpin:
				count *= math.Pow(2, float64(l.size))
			case runtime.KindSoftmax:
				l.k = ly.Shape[len(ly.Shape)-1]
				count *= math.Pow(float64(l.k), float64(l.size/l.k))
			default:
				return
			}
			keep = append(keep, l)
		}
		if count < best {
			best, s.keep, s.keepF, s.count = count, keep, fe, int(count)
		}
	}
	if !hasHidden(m) {
		var names []string
		for _, ly := range layers {
			names = append(names, ly.Name)
		}
		consider(-1, names)
	}
	for i, fe := range m.FreeEnergies() {
		consider(i, fe.Keep)
	}
	switch {
	case s.keep == nil:
		return s, fmt.Errorf("no free energy keeps only discrete layers, so log Z cannot be enumerated")
	case best > limit:
		return s, fmt.Errorf("the cheapest side has %.3g configurations, more than the limit %.3g; raise Limit or use %s", best, limit, instead)
	}
	return s, nil
}

// setConfig writes configuration k of the enumerated layers into chain c:
// bernoulli and spin units are binary digits, softmax groups digits of base K.
func (s *exactSide) setConfig(layers []runtime.Tensor, c, k int) {
	for _, l := range s.keep {
		row := layers[l.index].Data[c*l.size : (c+1)*l.size]
		switch l.kind {
		case runtime.KindBernoulli, runtime.KindSpin:
			for u := range row {
				b := float64(k & 1)
				if l.kind == runtime.KindSpin {
					b = 2*b - 1
				}
				row[u] = b
				k >>= 1
			}
		case runtime.KindSoftmax:
			clear(row)
			for g := 0; g < l.size/l.k; g++ {
				row[g*l.k+k%l.k] = 1
				k /= l.k
			}
		}
	}
}

// enumerate calls f on batches of chains (from batchOf) holding
// configurations lo … hi−1.
func (s *exactSide) enumerate(batchOf func(n int) runtime.Chains, f func(x runtime.Chains, lo, hi int)) {
	for lo := 0; lo < s.count; lo += s.batch {
		hi := min(s.count, lo+s.batch)
		x := batchOf(hi - lo)
		layers := x.Layers()
		for k := lo; k < hi; k++ {
			s.setConfig(layers, k-lo, k)
		}
		f(x, lo, hi)
	}
}

// distribution writes the free energy F_K(k) of every configuration k into
// fk and its probability p(k) = exp(−F_K(k) − log Z) into w (both of
// length count), and returns log Z = log Σ_k exp(−F_K(k)).
func (s *exactSide) distribution(m runtime.Reflective, batchOf func(n int) runtime.Chains, fk, w []float64) float64 {
	s.enumerate(batchOf, func(x runtime.Chains, lo, hi int) {
		if s.keepF >= 0 {
			m.FreeEnergy(x, s.keepF, 1, fk[lo:hi])
		} else {
			m.Energy(x, fk[lo:hi])
		}
	})
	for k, f := range fk {
		w[k] = -f
	}
	logZ := runtime.LogSumExp(w)
	for k, f := range fk {
		w[k] = math.Exp(-f - logZ)
	}
	return logZ
}

// addExpectation adds scale·Σ_k w[k]·∂F_K(k)/∂θ into grad: with w from
// distribution, scale times the model expectation E_p[∂E/∂θ] = −∂log Z/∂θ.
func (s *exactSide) addExpectation(m runtime.Reflective, batchOf func(n int) runtime.Chains, w []float64, scale float64, grad []runtime.Tensor) {
	s.enumerate(batchOf, func(x runtime.Chains, lo, hi int) {
		x.SetWeights(w[lo:hi])
		if s.keepF >= 0 {
			m.FreeEnergyGrad(x, s.keepF, scale, grad)
		} else {
			m.EnergyGrad(x, scale, grad)
		}
		x.SetWeights(nil)
	})
}

// exactStep descends −log p(v) = F(v) + log Z, whose gradient is
// ∇F(v) − E_p[∇F_K(k)] for the free energy F_K of the enumerated side K:
// log Z and the model expectation are sums over every configuration of K.
func (t *ObjectiveTrainer) exactStep(batch []float64, rows int) float64 {
	t.reserve(max(rows, t.count))
	w := t.w[:t.count]
	logZ := t.distribution(t.m, t.batchOf, t.f[:t.count], w)
	t.addExpectation(t.m, t.batchOf, w, 1, t.grad)
	copy(t.vals, batch)
	t.evaluate(rows, false)
	loss := 0.0
	for r := range rows {
		loss += t.f[r] + logZ
		t.w[r] = -1 / float64(rows)
	}
	t.evaluate(rows, true)
	return loss
}

// score writes ψ = −∂F/∂v of n rows of t.vals (from row lo) into psi: with
// the summed-out layers at their conditional means, each gaussian unit's
// energy is ½·P·v² − a·v + const, so ∂F/∂v = E[P·v − a | v] = P̄·v − ā.
func (t *ObjectiveTrainer) score(lo, n int, psi []float64) {
	for c0 := 0; c0 < n; c0 += t.cfg.EvalRows {
		cn := min(n-c0, t.cfg.EvalRows)
		x := t.load(t.vals[(lo+c0)*t.cols:], cn)
		layers := x.Layers()
		if t.fe >= 0 {
			for _, name := range t.m.FreeEnergies()[t.fe].SumOut {
				for i, ly := range t.m.Layers() {
					if ly.Name == name {
						t.m.Mean(x, i, 1, layers[i].Data)
					}
				}
			}
		}
		for _, l := range t.layers {
			need := 2 * cn * l.size
			if cap(t.scratch) < need {
				t.scratch = make([]float64, need)
			}
			a, p := t.scratch[:cn*l.size], t.scratch[cn*l.size:need]
			t.m.Field(x, l.index, a, p)
			for r := range cn {
				row := t.vals[(lo+c0+r)*t.cols+l.off:]
				out := psi[(c0+r)*t.cols+l.off:]
				for u := range l.size {
					out[u] = a[r*l.size+u] - p[r*l.size+u]*row[u]
				}
			}
		}
	}
}

// scoreStep descends Hyvärinen's J = Σ_i ½ψ_i² + ∂ψ_i/∂v_i, ψ = −∂F/∂v,
// whose gradient is −D_ψ∇θF − Δ_v∇θF: the derivative of the derived ∂F/∂θ
// along ψ and its Laplacian in v, by central differences of ∂F/∂θ (the
// Laplacian exactly over every unit, or by Slices Rademacher projections
// zᵀ∇²z). The same differences of F give the loss.
func (t *ObjectiveTrainer) scoreStep(batch []float64, rows int) float64 {
	n := t.cols
	probes := t.cfg.Slices
	if probes <= 0 {
		probes = n
	}
	perRow := 3 + 2*probes
	t.reserve(rows * perRow)
	psi := t.psiBuf(rows * n)
	copy(t.vals, batch)
	t.score(0, rows, psi)
	h := fdStep2
	var loss float64
	for r := range rows {
		v := batch[r*n : (r+1)*n]
		ps := psi[r*n : (r+1)*n]
		base := rows + r*(perRow-1) // v itself stays at row r
		eps := fdStep / math.Max(maxAbs(ps), 1)
		for u := range n {
			t.vals[base*n+u] = v[u] + eps*ps[u]
			t.vals[(base+1)*n+u] = v[u] - eps*ps[u]
		}
		t.w[r] = 0
		t.w[base] = 1 / (2 * eps * float64(rows))
		t.w[base+1] = -1 / (2 * eps * float64(rows))
		for p := range probes {
			up, down := t.vals[(base+2+2*p)*n:(base+3+2*p)*n], t.vals[(base+3+2*p)*n:(base+4+2*p)*n]
			copy(up, v)
			copy(down, v)
			if t.cfg.Slices <= 0 {
				up[p] += h
				down[p] -= h
			} else {
				for u := range n {
					z := 2*t.rng.Bernoulli(0.5) - 1
					up[u] += h * z
					down[u] -= h * z
				}
			}
			c := 1 / (h * h * float64(rows))
			if t.cfg.Slices > 0 {
				c /= float64(probes)
			}
			t.w[base+2+2*p], t.w[base+3+2*p] = c, c
			t.w[r] -= 2 * c
		}
		loss += 0.5 * kernels.Dot(ps, ps)
	}
	total := rows * perRow
	t.evaluate(total, false)
	for r := range rows {
		base := rows + r*(perRow-1)
		lap := 0.0
		for p := range probes {
			lap += t.f[base+2+2*p] - 2*t.f[r] + t.f[base+3+2*p]
		}
		lap /= h * h
		if t.cfg.Slices > 0 {
			lap /= float64(probes)
		}
		loss -= lap // ∂ψ_i/∂v_i = −∂²F/∂v_i²
	}
	t.evaluate(total, true)
	return loss
}

// dsmStep descends Vincent's J = ½‖ψ(ṽ) − (v − ṽ)/σ²‖², ṽ = v + σ·ε, whose
// gradient −D_r∇θF(ṽ), r = ψ(ṽ) − (v − ṽ)/σ², is a central difference of
// the derived ∂F/∂θ along r.
func (t *ObjectiveTrainer) dsmStep(batch []float64, rows int) float64 {
	n := t.cols
	sigma := t.cfg.NoiseStd
	if sigma <= 0 {
		sigma = 0.1
	}
	t.reserve(3 * rows)
	for i, v := range batch[:rows*n] {
		t.vals[i] = v + sigma*t.rng.Normal()
	}
	psi := t.psiBuf(rows * n)
	t.score(0, rows, psi)
	var loss float64
	for r := range rows {
		v, vt := batch[r*n:(r+1)*n], t.vals[r*n:(r+1)*n]
		res := psi[r*n : (r+1)*n]
		for u := range n {
			res[u] -= (v[u] - vt[u]) / (sigma * sigma)
		}
		loss += 0.5 * kernels.Dot(res, res)
		eps := fdStep / math.Max(maxAbs(res), 1)
		up, down := t.vals[(rows+2*r)*n:(rows+2*r+1)*n], t.vals[(rows+2*r+1)*n:(rows+2*r+2)*n]
		for u := range n {
			up[u] = vt[u] + eps*res[u]
			down[u] = vt[u] - eps*res[u]
		}
		t.w[r] = 0
		t.w[rows+2*r] = 1 / (2 * eps * float64(rows))
		t.w[rows+2*r+1] = -1 / (2 * eps * float64(rows))
	}
	t.evaluate(3*rows, true)
	return loss
}

func (t *ObjectiveTrainer) psiBuf(n int) []float64 {
	if cap(t.psi) < n {
		t.psi = make([]float64, n)
	}
	return t.psi[:n]
}

func maxAbs(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// initNCE sets up the noise chains and starts c at the importance-sampling
// estimate of log Z with the noise as proposal.
func (t *ObjectiveTrainer) initNCE() error {
	b := t.cfg.Noise
	if b == nil {
		return fmt.Errorf("NCE needs a noise distribution: set Noise, e.g. to BaseRate(model, training data, 1)")
	}
	for _, l := range t.layers {
		if len(b.Field[l.index]) != l.size {
			return fmt.Errorf("the noise distribution has %d fields for visible layer %s of %d units", len(b.Field[l.index]), t.m.Layers()[l.index].Name, l.size)
		}
	}
	nu := max(1, t.cfg.NoiseRatio)
	t.noise = t.m.NewChains(nu*t.cfg.BatchSize, t.cfg.Seed^0x6e6f697365)
	t.noiseLogZ = b.VisibleLogZ(t.m)
	t.logZ, t.logZVel, t.logZGrad = []float64{0}, []float64{0}, []float64{0}
	n := t.noise.Len()
	g := make([]float64, n)
	t.drawNoise(g)
	t.logZ[0] = runtime.LogMeanExp(g) // E_q[exp(−F)/q] = Z
	return nil
}

// drawNoise samples the noise chains afresh from the trainer's random stream
// and writes −F(u) − log q(u).
func (t *ObjectiveTrainer) drawNoise(dst []float64) {
	layers := t.noise.Layers()
	for _, l := range t.layers {
		t.cfg.Noise.SampleLayer(t.rng, l.index, l.kind, l.k, layers[l.index].Data)
	}
	t.free(t.noise, dst)
	lq := t.noiseLogQ(t.noise)
	for c := range dst {
		dst[c] = -dst[c] - lq[c]
	}
}

// noiseLogQ returns log q(x) of every chain of x under the noise distribution.
func (t *ObjectiveTrainer) noiseLogQ(x runtime.Chains) []float64 {
	n := x.Len()
	if cap(t.lq) < n {
		t.lq = make([]float64, n)
	}
	lq := t.lq[:n]
	for c := range lq {
		lq[c] = -t.noiseLogZ
	}
	t.cfg.Noise.LogDensity(t.m, x, 0, lq)
	return lq
}

// nceStep descends the logistic loss of telling data from ν noise samples
// per example: J = −E_data log σ(G) − ν·E_noise log σ(−G), with
// G(v) = −F(v) − c − log q(v) − log ν and c the learned log Z.
func (t *ObjectiveTrainer) nceStep(batch []float64, rows int) float64 {
	nu := float64(max(1, t.cfg.NoiseRatio))
	c := t.logZ[0]
	t.reserve(rows)
	copy(t.vals, batch)
	t.evaluate(rows, false)
	x := t.load(t.vals, rows)
	lq := t.noiseLogQ(x)
	var loss, gc float64
	g := t.w[:rows]
	for r := range rows {
		G := -t.f[r] - c - lq[r] - math.Log(nu)
		s := runtime.Sigmoid(G)
		loss -= logSigmoid(G)
		g[r] = -(1 - s) / float64(rows)
		gc -= (1 - s) / float64(rows)
	}
	t.addGrad(x, g)
	m := t.noise.Len()
	if cap(t.gn) < m {
		t.gn = make([]float64, m)
	}
	gn := t.gn[:m]
	t.drawNoise(gn) // −F(u) − log q(u)
	for i, d := range gn {
		G := d - c - math.Log(nu)
		s := runtime.Sigmoid(G)
		loss -= nu * float64(rows) / float64(m) * logSigmoid(-G)
		gn[i] = nu / float64(m) * s
		gc += nu / float64(m) * s
	}
	t.addGrad(t.noise, gn)
	t.logZGrad[0] = gc
	return loss
}

// logSigmoid returns log σ(x) = −softplus(−x).
func logSigmoid(x float64) float64 { return -runtime.Softplus(-x) }

// pcdStep is stochastic maximum likelihood with the persistent chains moved
// by K transitions of cfg.Sampler: it ascends −E_data[∂F/∂θ] + E_chains[∂F/∂θ]
// and returns rows times the free-energy gap mean F(data) − mean F(chains).
func (t *ObjectiveTrainer) pcdStep(batch []float64, rows int) float64 {
	for range max(1, t.cfg.K) {
		t.cfg.Sampler.Transition(t.m, t.neg, &t.stats)
	}
	n := t.neg.Len()
	t.reserve(max(rows, n))
	copy(t.vals, batch)
	x := t.load(t.vals, rows)
	t.free(x, t.f[:rows])
	gap := 0.0
	for r := range rows {
		gap += t.f[r]
		t.w[r] = -1 / float64(rows)
	}
	t.addGrad(x, t.w[:rows])
	t.free(t.neg, t.f[:n])
	for c := range n {
		gap -= t.f[c] * float64(rows) / float64(n)
		t.w[c] = 1 / float64(n)
	}
	t.addGrad(t.neg, t.w[:n])
	return gap
}

// SamplerStats returns the transitions and acceptances of pcd's sampler so far.
func (t *ObjectiveTrainer) SamplerStats() estimators.SamplerStats { return t.stats }
