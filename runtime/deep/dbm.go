package deep

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/internal/layout"
	"github.com/ebmc/ebmc/runtime/training"
)

// Deep Boltzmann machines (Salakhutdinov & Hinton 2009, "Deep Boltzmann
// Machines", AISTATS; Salakhutdinov & Hinton 2012, "An efficient learning
// procedure for deep Boltzmann machines", Neural Computation 24(8)),
// generic over Reflective: the layer graph is read off the terms of the
// energy (Reflective.Terms), never off layer or parameter names.

// DBMLayout is the layer graph of a deep Boltzmann machine: a chain
//
//	x₀ – x₁ – … – x_L
//
// of layers in which x₀ is the one visible layer, every layer interacts
// only with its neighbours in the chain, no layer is coupled to itself,
// and every term of the energy involves at most two layers.
type DBMLayout struct {
	// Chain holds layer indices (into Layers()), the visible layer first,
	// then the hidden layers from the bottom up.
	Chain []int
	// Weights[k] are the trained parameters (indices into Params()) of the
	// terms that couple Chain[k] and Chain[k+1].
	Weights [][]int
	// Biases[k] are the trained parameters of the terms that involve
	// Chain[k] alone.
	Biases [][]int
}

// dbmTerms is the structure of the energy's terms, by layer.
type dbmTerms struct {
	alone   [][]bool   // alone[l][θ]: θ has a term in layer l only
	lateral []bool     // layer l is coupled to itself (a term of degree ≥ 2 in l)
	couples [][][]bool // couples[i][j][θ], i < j: θ has a term in layers i and j only
	adj     [][]bool   // layers i and j interact (through trained or fixed parameters)
	higher  []string   // what enters terms of three or more layers: "parameter U"
}

// dbmTermsOf reads the structure of m's energy off its terms
// (Reflective.Terms): a trained parameter is alone in layer l when a term
// it enters has units of l only, couples i and j when its term has units
// of exactly i and j; a layer is lateral when a term holds two of its
// units (a gaussian unit's own square is its precision, not a coupling);
// layers interact when any term, trained or fixed, holds units of both;
// terms of three or more layers are listed by their parameters.
func dbmTermsOf(m runtime.Reflective) *dbmTerms {
	params := m.Params()
	n := len(m.Layers())
	t := &dbmTerms{alone: make([][]bool, n), lateral: make([]bool, n), couples: make([][][]bool, n), adj: make([][]bool, n)}
	for l := range n {
		t.alone[l] = make([]bool, len(params))
		t.couples[l] = make([][]bool, n)
		t.adj[l] = make([]bool, n)
		for j := l + 1; j < n; j++ {
			t.couples[l][j] = make([]bool, len(params))
		}
	}
	for _, term := range m.Terms() {
		count := map[int]int{}
		var distinct []int
		for _, l := range term.Layers {
			if count[l] == 0 {
				distinct = append(distinct, l)
			}
			count[l]++
		}
		for l, c := range count {
			if c > 1 {
				t.lateral[l] = true
			}
		}
		for a, i := range distinct {
			for _, j := range distinct[a+1:] {
				t.adj[i][j], t.adj[j][i] = true, true
			}
		}
		var trained []int
		for _, k := range term.Params {
			if !params[k].Fixed {
				trained = append(trained, k)
			}
		}
		switch len(distinct) {
		case 0: // a constant: no structure
		case 1:
			for _, k := range trained {
				t.alone[distinct[0]][k] = true
			}
		case 2:
			i, j := min(distinct[0], distinct[1]), max(distinct[0], distinct[1])
			for _, k := range trained {
				t.couples[i][j][k] = true
			}
		default:
			what := "a term without parameters"
			if len(term.Params) > 0 {
				var ps []string
				for _, k := range term.Params {
					ps = append(ps, params[k].Name)
				}
				what = "parameter " + strings.Join(ps, ", ")
			}
			t.higher = append(t.higher, what)
		}
	}
	return t
}

// NewDBMLayout finds the chain of layers of a deep Boltzmann machine from
// the terms of its energy (see DBMLayout), or says why the model is not one.
func NewDBMLayout(m runtime.Reflective) (*DBMLayout, error) {
	fail := func(format string, args ...any) (*DBMLayout, error) {
		return nil, fmt.Errorf("runtime: %s is not a deep Boltzmann machine: %s", m.ModelName(), fmt.Sprintf(format, args...))
	}
	layers := m.Layers()
	n := len(layers)
	vis := -1
	for l, ly := range layers {
		if ly.Visible {
			if vis >= 0 {
				return fail("it has two visible layers, %s and %s; the chain needs exactly one", layers[vis].Name, ly.Name)
			}
			vis = l
		}
	}
	switch {
	case vis < 0:
		return fail("it has no visible layer")
	case n < 2:
		return fail("it has no hidden layer")
	}
	t := dbmTermsOf(m)
	if len(t.higher) > 0 {
		return fail("%s couples three or more layers in one term", strings.Join(t.higher, "; "))
	}
	for l, lat := range t.lateral {
		if lat {
			return fail("layer %s is coupled to itself (lateral connections)", layers[l].Name)
		}
	}
	degree := func(l int) int {
		d := 0
		for _, a := range t.adj[l] {
			if a {
				d++
			}
		}
		return d
	}
	if d := degree(vis); d != 1 {
		return fail("the visible layer %s interacts with %d layers; it must end the chain, with one neighbour", layers[vis].Name, d)
	}
	lay := &DBMLayout{Chain: []int{vis}}
	seen := map[int]bool{vis: true}
	for cur := vis; ; {
		next := -1
		for j, a := range t.adj[cur] {
			if a && !seen[j] {
				if next >= 0 {
					return fail("layer %s interacts with both %s and %s above it; the layers must form a chain", layers[cur].Name, layers[next].Name, layers[j].Name)
				}
				next = j
			}
		}
		if next < 0 {
			break
		}
		for j, a := range t.adj[next] {
			if a && seen[j] && j != cur {
				return fail("layer %s interacts with %s, which is not next to it in the chain", layers[next].Name, layers[j].Name)
			}
		}
		seen[next] = true
		lay.Chain = append(lay.Chain, next)
		cur = next
	}
	if len(lay.Chain) != n {
		var missing []string
		for l, ly := range layers {
			if !seen[l] {
				missing = append(missing, ly.Name)
			}
		}
		return fail("layer %s does not interact with the chain from the visible layer", strings.Join(missing, ", "))
	}
	owner := map[int]string{}
	claim := func(k int, what string) error {
		if prev, ok := owner[k]; ok && prev != what {
			return fmt.Errorf("parameter %s appears both in %s and in %s", m.Params()[k].Name, prev, what)
		}
		owner[k] = what
		return nil
	}
	for k := 0; k < n; k++ {
		l := lay.Chain[k]
		var bias []int
		for p, ok := range t.alone[l] {
			if ok {
				if err := claim(p, "the terms of "+layers[l].Name); err != nil {
					return fail("%v", err)
				}
				bias = append(bias, p)
			}
		}
		lay.Biases = append(lay.Biases, bias)
		if k+1 == n {
			break
		}
		u := lay.Chain[k+1]
		i, j := min(l, u), max(l, u)
		var w []int
		for p, ok := range t.couples[i][j] {
			if ok {
				if err := claim(p, fmt.Sprintf("the coupling of %s and %s", layers[l].Name, layers[u].Name)); err != nil {
					return fail("%v", err)
				}
				w = append(w, p)
			}
		}
		if len(w) == 0 {
			return fail("the coupling of %s and %s has no trained parameter", layers[l].Name, layers[u].Name)
		}
		lay.Weights = append(lay.Weights, w)
	}
	return lay, nil
}

// PretrainConfig configures PretrainDBM.
type PretrainConfig struct {
	// Epochs is the number of passes over the data for each RBM, or, if
	// EpochsPerRBM is set, its default.
	Epochs int
	// EpochsPerRBM, if not nil, gives the epochs of each RBM, bottom up.
	EpochsPerRBM []int
	// BatchSize is the number of rows per update.
	BatchSize int
	// K is the number of Gibbs steps of CD-k; 0 means 1.
	K int
	// Optimizer updates the parameters of the RBM being trained.
	Optimizer runtime.SGD
	// SampleActivities feeds each RBM above the first samples of the
	// activities of the layer below, drawn afresh for every minibatch,
	// instead of their means.
	SampleActivities bool
	// NoDoubling trains plain RBMs, without the doubled inputs: the naive
	// stacking that the doubling corrects, for comparison.
	NoDoubling bool
	// Float32 runs the products of every step in float32
	// (runtime.SetFloat32 on the positive and negative chains, the error
	// bound of Workspace.SetFloat32); PretrainDBM refuses it on a CPU
	// without the float32 kernels.
	Float32 bool
	Seed    uint64
	// Progress, if set, receives a line per epoch.
	Progress io.Writer
}

// RBMStats describes the training of one RBM of the stack.
type RBMStats struct {
	Lower, Upper string // the names of the RBM's layers
	// DoubleUp is set when the input from Lower to Upper was doubled,
	// DoubleDown when the input from Upper to Lower was.
	DoubleUp, DoubleDown bool
	// Recon is, for every epoch, the mean over rows of ‖x − x̂‖², x the
	// lower layer's data and x̂ its means after the CD-k chain.
	Recon   []float64
	Seconds float64
}

// PretrainResult is what PretrainDBM did.
type PretrainResult struct {
	Layout  *DBMLayout
	RBMs    []RBMStats
	Seconds float64
}

// PretrainDBM initializes a deep Boltzmann machine by greedy layer-wise
// training of RBMs with the weight-doubling correction of Salakhutdinov &
// Hinton (2009, §3.1; 2012, on pretraining), working on the model itself through
// Reflective.
//
// The layout x₀ – x₁ – … – x_L is discovered by NewDBMLayout. The RBM of
// the pair (x_k, x_{k+1}) is the model with every other layer held at zero,
// so that only the terms of x_k, x_{k+1} and their coupling remain:
//
//	E_k(x_k, x_{k+1}) = −x_kᵀW_k x_{k+1} − b_kᵀx_k − b_{k+1}ᵀx_{k+1}
//
// (in general, whatever terms of the energy involve only these two
// layers). In the DBM, a hidden layer in the middle of the chain receives
// input from both neighbours, but in an RBM from one only; the papers
// compensate by doubling the input that stands in for the missing one.
// With a_{k+1}(x_k) the field of x_{k+1} given x_k (all else zero) and
// a⁰ the field when x_k is zero too (the bias), the doubled field is
//
//	ã_{k+1} = 2·a_{k+1}(x_k) − a⁰_{k+1} = 2·W_kᵀx_k + b_{k+1}
//
// since fields are affine in the neighbours' states. The bottom RBM
// (x₀, x₁) doubles the bottom-up input to x₁ — it is the RBM whose visible
// vector is presented twice with tied weights, p(x₁ = 1 | x₀) =
// σ(2W₀ᵀx₀ + b₁), p(x₀ = 1 | x₁) = σ(W₀x₁ + b₀); the top RBM
// (x_{L−1}, x_L) doubles the top-down input to x_{L−1} (its hidden units
// are duplicated); the RBMs in between double both. Each RBM is trained by
// CD-k (gradients from EnergyGrad, updates by cfg.Optimizer, only on its
// own parameters) on the activities of the layer below: the data for x₀,
// then for x_{k+1} the means of its doubled conditional given the
// activities of x_k (or samples of them, with SampleActivities).
//
// Composing the RBMs into the DBM keeps the weights: the DBM's field of a
// middle layer, W_{k−1}ᵀx_{k−1} + W_k x_{k+1} + b_k, is the average of
// the two doubled RBM fields that trained it, which "halves the total
// input" as the 2009 paper puts it (equivalently: an RBM trained with
// doubled weights 2W contributes W). For that average to hold for the
// biases too, the bias of a middle layer becomes the mean of its values
// in the RBM below (where it was a hidden bias) and the RBM above (where
// it was a visible bias, initialized from the one below). (Salakhutdinov's
// reference MATLAB code doubles the biases along with the weights, fields
// 2·(Wᵀx + c), and adds the two biases when composing; that is the same
// rule in another parametrization of the biases.) With NoDoubling the
// RBMs are plain and composed the same way: the naive stacking whose
// double-counted inputs the correction removes.
//
// data holds rows of the visible layer: a dense Dataset, or any Source
// (binary images as a BitDataset, 64 times smaller), read a minibatch at a
// time. The activities of the layers above are computed as each minibatch
// is gathered, from the parameters their RBM ended its training with, so
// that no level of the data set exists in memory as a whole; they are the
// same numbers a dense pass over the data would give. PretrainDBM returns
// per-RBM reconstruction errors; cancelling ctx stops it between updates.
func PretrainDBM(ctx context.Context, m runtime.Reflective, data dataset.Source, cfg PretrainConfig) (*PretrainResult, error) {
	start := time.Now()
	if ctx == nil {
		ctx = context.Background()
	}
	name := m.ModelName()
	lay, err := NewDBMLayout(m)
	if err != nil {
		return nil, err
	}
	layers := m.Layers()
	for k, l := range lay.Chain {
		if ly := layers[l]; ly.Kind == runtime.KindGaussian && k > 0 {
			return nil, fmt.Errorf("runtime: pretrain %s: hidden layer %s is gaussian; doubling supports bernoulli, spin and softmax hidden layers", name, ly.Name)
		}
	}
	if cfg.Float32 && !runtime.HasFloat32() {
		return nil, fmt.Errorf("runtime: pretrain %s: Float32: this CPU has no float32 kernels (they need AVX2 and FMA, or AVX-512)", name)
	}
	pairs := len(lay.Chain) - 1
	var rows, cols int
	if data != nil {
		rows, cols = data.Shape()
	}
	switch {
	case rows <= 0:
		return nil, fmt.Errorf("runtime: pretrain %s: empty data set", name)
	case cols != layout.Product(layers[lay.Chain[0]].Shape):
		return nil, fmt.Errorf("runtime: pretrain %s: data has %d columns, layer %s has %d units", name, cols, layers[lay.Chain[0]].Name, layout.Product(layers[lay.Chain[0]].Shape))
	case shortDense(data):
		d := data.(*dataset.Dataset)
		return nil, fmt.Errorf("runtime: pretrain %s: data set declares %d×%d values, holds %d", name, d.Rows, d.Cols, len(d.X))
	case cfg.BatchSize <= 0:
		return nil, fmt.Errorf("runtime: pretrain %s: batch size %d is not positive", name, cfg.BatchSize)
	case cfg.EpochsPerRBM != nil && len(cfg.EpochsPerRBM) != pairs:
		return nil, fmt.Errorf("runtime: pretrain %s: EpochsPerRBM has %d entries for %d RBMs", name, len(cfg.EpochsPerRBM), pairs)
	case cfg.K < 0:
		return nil, fmt.Errorf("runtime: pretrain %s: K = %d is negative", name, cfg.K)
	}
	res := &PretrainResult{Layout: lay}
	params := m.Params()
	acts := data
	for k := 0; k < pairs; k++ {
		epochs := cfg.Epochs
		if cfg.EpochsPerRBM != nil {
			epochs = cfg.EpochsPerRBM[k]
		}
		if epochs < 0 {
			return nil, fmt.Errorf("runtime: pretrain %s: RBM %d has %d epochs", name, k+1, epochs)
		}
		var below [][]float64
		if k > 0 {
			for _, p := range lay.Biases[k] {
				below = append(below, append([]float64(nil), params[p].Data...))
			}
		}
		pr := dbmNewPair(m, lay, k, cfg)
		st, err := pr.train(ctx, acts, epochs, k > 0 && cfg.SampleActivities)
		res.RBMs = append(res.RBMs, st)
		if err != nil {
			return res, fmt.Errorf("runtime: pretrain %s: RBM %s–%s: %w", name, st.Lower, st.Upper, err)
		}
		for i, p := range lay.Biases[k][:len(below)] {
			for u, v := range below[i] {
				params[p].Data[u] = (params[p].Data[u] + v) / 2
			}
		}
		if k+1 < pairs {
			acts = pr.activities(acts, dbmLaterParams(lay, k))
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// dbmPair trains the RBM of layers Chain[k] and Chain[k+1] inside the model.
type dbmPair struct {
	m          runtime.Reflective
	lo, hi     int
	kLo, kHi   runtime.LayerInfo
	nLo, nHi   int
	up, down   bool
	cfg        PretrainConfig
	group      []int // the parameters this RBM trains
	params     []runtime.Tensor
	grads      []runtime.Tensor
	vel        [][]float64
	norms      []float64      // scratch of the max-norm constraint
	zero       runtime.Chains // one chain with every unit zero: the base fields
	a0Lo, a0Hi []float64
	p0         []float64
	chains     map[int]*dbmBatch
	aLo, pLo   []float64
	aHi, pHi   []float64
	rng        runtime.RNG
	st         RBMStats
}

func dbmNewPair(m runtime.Reflective, lay *DBMLayout, k int, cfg PretrainConfig) *dbmPair {
	layers := m.Layers()
	lo, hi := lay.Chain[k], lay.Chain[k+1]
	pr := &dbmPair{m: m, lo: lo, hi: hi, kLo: layers[lo], kHi: layers[hi],
		nLo: layout.Product(layers[lo].Shape), nHi: layout.Product(layers[hi].Shape),
		up: k+2 < len(lay.Chain) && !cfg.NoDoubling, down: k > 0 && !cfg.NoDoubling, cfg: cfg, params: m.Params(),
		chains: map[int]*dbmBatch{}, rng: runtime.NewRNG(cfg.Seed, 0xdb00+uint64(k))}
	pr.norms = make([]float64, runtime.FanIn(pr.params))
	if pr.cfg.K == 0 {
		pr.cfg.K = 1
	}
	pr.group = append(append(append(pr.group, lay.Weights[k]...), lay.Biases[k]...), lay.Biases[k+1]...)
	pr.grads = runtime.ZerosLike(pr.params)
	pr.vel = make([][]float64, len(pr.params))
	for _, p := range pr.group {
		pr.vel[p] = make([]float64, len(pr.params[p].Data))
	}
	pr.zero = m.NewChains(1, 0)
	dbmClear(pr.zero)
	pr.a0Lo, pr.a0Hi = make([]float64, pr.nLo), make([]float64, pr.nHi)
	pr.p0 = make([]float64, max(pr.nLo, pr.nHi))
	pr.st = RBMStats{Lower: pr.kLo.Name, Upper: pr.kHi.Name, DoubleUp: pr.up, DoubleDown: pr.down}
	return pr
}

func dbmClear(x runtime.Chains) {
	for _, t := range x.Layers() {
		clear(t.Data)
	}
}

// dbmBatch is the positive and negative chains of one batch length and
// their layers (Layers allocates; these are taken once).
type dbmBatch struct {
	pos, neg runtime.Chains
	pl, nl   []runtime.Tensor
}

// batch returns the positive and negative chains for n rows, every layer
// zero when first made.
func (pr *dbmPair) batch(n int) *dbmBatch {
	b, ok := pr.chains[n]
	if !ok {
		b = &dbmBatch{pos: pr.m.NewChains(n, pr.cfg.Seed^0xdb10), neg: pr.m.NewChains(n, pr.cfg.Seed^0xdb20)}
		dbmClear(b.pos)
		dbmClear(b.neg)
		if pr.cfg.Float32 {
			runtime.SetFloat32(b.pos, true)
			runtime.SetFloat32(b.neg, true)
		}
		b.pl, b.nl = b.pos.Layers(), b.neg.Layers()
		pr.chains[n] = b
	}
	if len(pr.aLo) < n*pr.nLo {
		pr.aLo, pr.pLo = make([]float64, n*pr.nLo), make([]float64, n*pr.nLo)
	}
	if len(pr.aHi) < n*pr.nHi {
		pr.aHi, pr.pHi = make([]float64, n*pr.nHi), make([]float64, n*pr.nHi)
	}
	return b
}

// field writes the field of layer l (lo or hi) of x's n chains into a
// (and prec), doubling the neighbour's input when double is set.
func (pr *dbmPair) field(x runtime.Chains, l, n, size int, double bool, base, a, prec []float64) {
	a, prec = a[:n*size], prec[:n*size]
	pr.m.Field(x, l, a, prec)
	if !double {
		return
	}
	pr.m.Field(pr.zero, l, base, pr.p0[:size])
	for c := 0; c < n; c++ {
		row := a[c*size : (c+1)*size]
		for u := range row {
			row[u] = 2*row[u] - base[u]
		}
	}
}

// train runs CD-k on the rows of acts for the given epochs.
func (pr *dbmPair) train(ctx context.Context, acts dataset.Source, epochs int, sample bool) (RBMStats, error) {
	start := time.Now()
	rows, cols := acts.Shape()
	batches := training.NewBatches(rows, pr.cfg.BatchSize, true, runtime.NewRNG(pr.cfg.Seed, 0xdb80+uint64(pr.lo)))
	buf := make([]float64, min(pr.cfg.BatchSize, rows)*cols)
	for e := 0; e < epochs; e++ {
		t0 := time.Now()
		recon := 0.0
		for {
			idx, ok := batches.Next()
			if !ok {
				break
			}
			if err := ctx.Err(); err != nil {
				pr.st.Seconds = time.Since(start).Seconds()
				return pr.st, fmt.Errorf("stopped in epoch %d/%d: %w", e+1, epochs, err)
			}
			x := buf[:len(idx)*cols]
			acts.Gather(x, idx)
			if sample {
				dbmSampleMeans(pr.kLo, x, &pr.rng)
			}
			recon += pr.step(x, len(idx), e)
		}
		for _, p := range pr.group {
			if !runtime.IsFinite(pr.params[p].Data) {
				pr.st.Seconds = time.Since(start).Seconds()
				return pr.st, fmt.Errorf("%w in epoch %d: parameter %s has non-finite values", training.ErrDiverged, e+1, pr.params[p].Name)
			}
		}
		pr.st.Recon = append(pr.st.Recon, recon/float64(rows))
		if pr.cfg.Progress != nil {
			fmt.Fprintf(pr.cfg.Progress, "pretrain %s–%s%s: epoch %d/%d  %.2fs  recon %.4f\n", pr.kLo.Name, pr.kHi.Name,
				pr.doubling(), e+1, epochs, time.Since(t0).Seconds(), pr.st.Recon[e])
		}
	}
	pr.st.Seconds = time.Since(start).Seconds()
	return pr.st, nil
}

func (pr *dbmPair) doubling() string {
	switch {
	case pr.up && pr.down:
		return " (both inputs doubled)"
	case pr.up:
		return " (bottom-up input doubled)"
	case pr.down:
		return " (top-down input doubled)"
	}
	return ""
}

// step does one CD-k update on n rows of the lower layer's activities x
// and returns Σ‖x − x̂‖².
func (pr *dbmPair) step(x []float64, n, epoch int) float64 {
	b := pr.batch(n)
	pos, neg, pl, nl := b.pos, b.neg, b.pl, b.nl
	copy(pl[pr.lo].Data, x)
	aHi, pHi := pr.aHi[:n*pr.nHi], pr.pHi[:n*pr.nHi]
	aLo, pLo := pr.aLo[:n*pr.nLo], pr.pLo[:n*pr.nLo]
	pr.field(pos, pr.hi, n, pr.nHi, pr.up, pr.a0Hi, aHi, pHi)
	dbmMeans(pr.kHi, aHi, pHi, pl[pr.hi].Data)
	for _, g := range pr.grads {
		clear(g.Data)
	}
	inv := 1 / float64(n)
	pr.m.EnergyGrad(pos, -inv, pr.grads)
	copy(nl[pr.lo].Data, x)
	dbmSample(pr.kHi, aHi, pHi, nl[pr.hi].Data, &pr.rng)
	for s := 0; s < pr.cfg.K; s++ {
		last := s == pr.cfg.K-1
		pr.field(neg, pr.lo, n, pr.nLo, pr.down, pr.a0Lo, aLo, pLo)
		if last && pr.kLo.Kind != runtime.KindGaussian {
			dbmMeans(pr.kLo, aLo, pLo, nl[pr.lo].Data)
		} else {
			dbmSample(pr.kLo, aLo, pLo, nl[pr.lo].Data, &pr.rng)
		}
		pr.field(neg, pr.hi, n, pr.nHi, pr.up, pr.a0Hi, aHi, pHi)
		if last {
			dbmMeans(pr.kHi, aHi, pHi, nl[pr.hi].Data)
		} else {
			dbmSample(pr.kHi, aHi, pHi, nl[pr.hi].Data, &pr.rng)
		}
	}
	pr.m.EnergyGrad(neg, inv, pr.grads)
	recon := 0.0
	if pr.kLo.Kind == runtime.KindGaussian {
		dbmMeans(pr.kLo, aLo, pLo, aLo)
		for i, v := range x {
			recon += (v - aLo[i]) * (v - aLo[i])
		}
	} else {
		for i, v := range x {
			d := v - nl[pr.lo].Data[i]
			recon += d * d
		}
	}
	for _, p := range pr.group {
		pr.cfg.Optimizer.Update(pr.params[p].Data, pr.grads[p].Data, pr.vel[p], epoch)
		pr.cfg.Optimizer.ConstrainTensor(pr.params[p], pr.norms)
	}
	return recon
}

// shortDense reports whether data is a Dataset holding fewer values than
// its shape declares.
func shortDense(data dataset.Source) bool {
	d, ok := data.(*dataset.Dataset)
	return ok && len(d.X) < d.Rows*d.Cols
}

// dbmLaterParams returns the parameters that the RBMs above RBM k train
// (and whose biases the composition averages): those whose values at the
// end of RBM k's training its activities must keep.
func dbmLaterParams(lay *DBMLayout, k int) map[int]bool {
	later := map[int]bool{}
	for j := k + 1; j+1 < len(lay.Chain); j++ {
		for _, group := range [][]int{lay.Weights[j], lay.Biases[j], lay.Biases[j+1]} {
			for _, p := range group {
				later[p] = true
			}
		}
	}
	return later
}

// activities returns the Source of the means of the upper layer given each
// row of acts, with the input doubled as in training: the data of the next
// RBM, computed as they are gathered (see dbmUpSource). later names the
// parameters that later RBMs change; the Source keeps the values that
// those of this RBM have now.
func (pr *dbmPair) activities(acts dataset.Source, later map[int]bool) *dbmUpSource {
	rows, cols := acts.Shape()
	u := &dbmUpSource{pr: pr, below: acts, rows: rows, size: min(pr.cfg.BatchSize, rows)}
	u.in = make([]float64, u.size*cols)
	for _, p := range pr.group {
		if later[p] {
			u.swap = append(u.swap, p)
			u.snap = append(u.snap, append([]float64(nil), pr.params[p].Data...))
			u.saved = append(u.saved, make([]float64, len(pr.params[p].Data)))
		}
	}
	return u
}

// dbmUpSource is the Source of the activities of a trained RBM's upper
// layer, E[x_{k+1} | x_k] under its doubled conditional, for the rows of
// the layer below (below: the data, or the activities of the RBM under
// it). A Gather computes them for the gathered rows, at most size at a
// time, through the pair's chains: the same fields, row by row, as a
// dense pass would compute. The RBMs above change some of this RBM's
// parameters (the upper layer's bias is the next RBM's visible bias);
// Gather puts the values they had when this RBM finished (snap) into the
// model for the computation and restores the current ones after. It
// allocates nothing once every batch length has been seen, and is not
// safe for concurrent use, nor for use while the model is otherwise in
// use.
type dbmUpSource struct {
	pr          *dbmPair
	below       dataset.Source
	rows, size  int
	in          []float64   // gathered rows of below
	swap        []int       // parameters held at their values in snap
	snap, saved [][]float64 // their values at the end of training; the current ones
}

// Shape returns the rows of the data and the units of the upper layer.
func (u *dbmUpSource) Shape() (rows, cols int) { return u.rows, u.pr.nHi }

// Gather writes the activities of rows idx[0], idx[1], … into consecutive
// rows of dst.
func (u *dbmUpSource) Gather(dst []float64, idx []int) {
	pr := u.pr
	if len(dst) < len(idx)*pr.nHi {
		panic("runtime: DBM activities: dst too short")
	}
	for i, p := range u.swap {
		copy(u.saved[i], pr.params[p].Data)
		copy(pr.params[p].Data, u.snap[i])
	}
	for lo := 0; lo < len(idx); lo += u.size {
		n := min(u.size, len(idx)-lo)
		in := u.in[:n*pr.nLo]
		u.below.Gather(in, idx[lo:lo+n])
		b := pr.batch(n)
		copy(b.pl[pr.lo].Data, in)
		a, p := pr.aHi[:n*pr.nHi], pr.pHi[:n*pr.nHi]
		pr.field(b.pos, pr.hi, n, pr.nHi, pr.up, pr.a0Hi, a, p)
		dbmMeans(pr.kHi, a, p, dst[lo*pr.nHi:(lo+n)*pr.nHi])
	}
	for i, p := range u.swap {
		copy(pr.params[p].Data, u.saved[i])
	}
}

// dbmMeans writes the conditional means of a layer given its fields a
// (and precisions, for gaussian units): σ(a) for bernoulli, tanh(a) for
// spin, the softmax of each group, a/P for gaussian. dst may alias a.
func dbmMeans(ly runtime.LayerInfo, a, prec, dst []float64) {
	switch ly.Kind {
	case runtime.KindBernoulli:
		for i, v := range a {
			dst[i] = runtime.Sigmoid(v)
		}
	case runtime.KindSpin:
		for i, v := range a {
			dst[i] = math.Tanh(v)
		}
	case runtime.KindSoftmax:
		k := ly.Shape[len(ly.Shape)-1]
		for g := 0; g+k <= len(a); g += k {
			runtime.Softmax(dst[g:g+k], a[g:g+k])
		}
	case runtime.KindGaussian:
		for i, v := range a {
			dst[i] = v / prec[i]
		}
	}
}

// dbmSample draws a layer from its conditional given the fields a (and precisions).
func dbmSample(ly runtime.LayerInfo, a, prec, dst []float64, rng *runtime.RNG) {
	size := 1 // softmax groups: the last dimension
	if n := len(ly.Shape); n > 0 {
		size = ly.Shape[n-1]
	}
	ly.Kind.Draw(rng, size, a, prec, dst)
}

// dbmSampleMeans replaces means of a layer's units by a sample of the
// factorized distribution with those means.
func dbmSampleMeans(ly runtime.LayerInfo, x []float64, rng *runtime.RNG) {
	switch ly.Kind {
	case runtime.KindBernoulli:
		for i, v := range x {
			x[i] = rng.Bernoulli(v)
		}
	case runtime.KindSpin:
		for i, v := range x {
			x[i] = 2*rng.Bernoulli((1+v)/2) - 1
		}
	case runtime.KindSoftmax:
		k := ly.Shape[len(ly.Shape)-1]
		for g := 0; g+k <= len(x); g += k {
			c := rng.Categorical(x[g : g+k])
			for j := 0; j < k; j++ {
				x[g+j] = 0
			}
			x[g+c] = 1
		}
	}
}
