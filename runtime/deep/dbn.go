package deep

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/training"
)

// DBN is a deep belief network (Hinton, Osindero & Teh 2006; Deep Learning
// §20.3) assembled from a stack of generated RBM-like models M_0, …, M_{L−1},
// bottom first, L ≥ 2. Write h_0 = v for the data and h_{k+1} for the hidden
// layer of M_k, which is also the (first) visible layer of M_{k+1}. The
// network's distribution is
//
//	p(v, h_1, …, h_L, y) = p_top(h_{L−1}, y, h_L) · Π_{k<L−1} p_k(h_k | h_{k+1})
//
// The top model M_{L−1} stays undirected: an RBM over h_{L−1}, its hidden
// layer h_L and, when it has a second visible layer (one softmax group), a
// label y. Each lower model contributes only its conditional of the visible
// layer given the hidden one, a directed top-down connection,
//
//	log p_k(v | h) = −E_k(v, h) + F_k(h),  F_k(h) = −log Σ_v exp(−E_k(v, h)).
//
// Inference goes upward through the recognition conditionals
// q_k(h_{k+1} | h_k), the model's own p(h | v):
//
//	log q_k(h | v) = −E'_k(v, h) + F'_k(v),  F'_k(v) = −log Σ_h exp(−E'_k(v, h)),
//
// where E'_k is the energy of the recognition model of layer k: M_k itself
// while the weights are tied (after greedy training), a separate instance
// after Untie (for up-down fine-tuning). A DBN holds the models it was built
// from; training changes their parameters in place.
type DBN struct {
	gen []dbnLevel
	rec []dbnLevel // recognition copies of the lower models; nil while tied
}

// dbnLevel is one model of the stack with the indices of its layers.
type dbnLevel struct {
	m           runtime.Reflective
	in, hid     int   // layer indices of the (first) visible and the hidden layer
	label       int   // layer index of the softmax label, −1 when there is none
	nin, nhid   int   // units
	classes     int   // categories of the label, 0 when there is none
	feIn, feHid int   // free energies keeping the visible layers, and keeping the hidden layer (−1: none)
	visible     []int // layer indices of the visible layers, in order
}

// NewDBN stacks models, bottom first, into a deep belief network. Every
// model needs exactly one hidden layer; the lower models exactly one
// visible layer, and the top model one visible layer and optionally a
// second one that is a single softmax group (the label). The hidden layer
// of model k must have as many units, of the same kind, as the visible layer
// of model k+1. Each lower model needs a free energy of its hidden layer
// (the visible layer summed out, so that p(v | h) is normalized), and every
// model one of its visible layers (the hidden layer summed out).
func NewDBN(layers ...runtime.Reflective) (*DBN, error) {
	if len(layers) < 2 {
		return nil, fmt.Errorf("runtime: DBN: %d models; a DBN needs at least two (a directed layer and the top RBM)", len(layers))
	}
	d := &DBN{}
	for k, m := range layers {
		if m == nil {
			return nil, fmt.Errorf("runtime: DBN: model %d is nil", k)
		}
		lv, err := dbnInspect(m, k == len(layers)-1)
		if err != nil {
			return nil, fmt.Errorf("runtime: DBN: model %d (%s): %w", k, m.ModelName(), err)
		}
		d.gen = append(d.gen, lv)
	}
	for k := 0; k+1 < len(d.gen); k++ {
		lo, hi := d.gen[k], d.gen[k+1]
		loL, hiL := lo.m.Layers()[lo.hid], hi.m.Layers()[hi.in]
		if lo.nhid != hi.nin {
			return nil, fmt.Errorf("runtime: DBN: model %d (%s) has %d hidden units (%s) but model %d (%s) has %d units in its visible layer %s; they must be equal",
				k, lo.m.ModelName(), lo.nhid, loL.Name, k+1, hi.m.ModelName(), hi.nin, hiL.Name)
		}
		if loL.Kind != hiL.Kind {
			return nil, fmt.Errorf("runtime: DBN: model %d (%s) has %s hidden units (%s) but model %d (%s) has %s units in its visible layer %s; they must be of the same kind",
				k, lo.m.ModelName(), loL.Kind, loL.Name, k+1, hi.m.ModelName(), hiL.Kind, hiL.Name)
		}
	}
	return d, nil
}

// dbnInspect finds the layers and free energies of one model of the stack.
func dbnInspect(m runtime.Reflective, top bool) (dbnLevel, error) {
	lv := dbnLevel{m: m, in: -1, hid: -1, label: -1, feHid: -1}
	layers := m.Layers()
	var visible []int
	for i, ly := range layers {
		if ly.Visible {
			visible = append(visible, i)
			continue
		}
		if lv.hid >= 0 {
			return lv, fmt.Errorf("hidden layers %s and %s; each model of a DBN needs exactly one", layers[lv.hid].Name, ly.Name)
		}
		lv.hid = i
	}
	switch {
	case lv.hid < 0:
		return lv, errors.New("no hidden layer; each model of a DBN needs exactly one")
	case len(visible) == 0:
		return lv, errors.New("no visible layer")
	case !top && len(visible) > 1:
		return lv, fmt.Errorf("%d visible layers; a lower model of a DBN needs exactly one (only the top model may have a label)", len(visible))
	case len(visible) > 2:
		return lv, fmt.Errorf("%d visible layers; the top model of a DBN may have at most two (features and a label)", len(visible))
	}
	lv.in, lv.visible = visible[0], visible
	lv.nin, lv.nhid = dbnSize(layers[lv.in].Shape), dbnSize(layers[lv.hid].Shape)
	if len(visible) == 2 {
		ly := layers[visible[1]]
		if ly.Kind != runtime.KindSoftmax || len(ly.Shape) != 1 {
			return lv, fmt.Errorf("second visible layer %s is %s %v; a label must be one softmax group", ly.Name, ly.Kind, ly.Shape)
		}
		lv.label, lv.classes = visible[1], ly.Shape[0]
	}
	lv.feIn = estimators.VisibleFreeEnergy(m)
	if lv.feIn < 0 {
		return lv, errors.New("no free energy of the visible layers (the hidden layer cannot be summed out)")
	}
	if top {
		return lv, nil
	}
	hidName := layers[lv.hid].Name
	for i, fe := range m.FreeEnergies() {
		if len(fe.Keep) == 1 && fe.Keep[0] == hidName && len(fe.SumOut) == 1 && fe.SumOut[0] == layers[lv.in].Name {
			lv.feHid = i
		}
	}
	if lv.feHid < 0 {
		return lv, fmt.Errorf("no free energy of the hidden layer %s, so p(%s | %s) cannot be normalized", hidName, layers[lv.in].Name, hidName)
	}
	return lv, nil
}

func dbnSize(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// Len returns the number of models in the stack.
func (d *DBN) Len() int { return len(d.gen) }

// VisibleSize returns the number of units of the bottom visible layer, the
// width of a data row.
func (d *DBN) VisibleSize() int { return d.gen[0].nin }

// Classes returns the number of categories of the top model's label layer,
// or 0 when it has none.
func (d *DBN) Classes() int { return d.top().classes }

// Generative returns model k of the stack (0 is the bottom, Len()−1 the top
// RBM), whose parameters define p_k(h_k | h_{k+1}), or nil when k is out of range.
func (d *DBN) Generative(k int) runtime.Reflective {
	if k < 0 || k >= len(d.gen) {
		return nil
	}
	return d.gen[k].m
}

// Recognition returns the model whose p(h | v) is the recognition
// conditional q_k(h_{k+1} | h_k) of lower layer k: Generative(k) while the
// weights are tied, the copy given to Untie afterwards. It is nil when k is
// not a lower layer (0 ≤ k < Len()−1).
func (d *DBN) Recognition(k int) runtime.Reflective {
	if k < 0 || k >= len(d.gen)-1 {
		return nil
	}
	return d.recog(k).m
}

// Tied reports whether the recognition and generative weights are the same.
func (d *DBN) Tied() bool { return d.rec == nil }

func (d *DBN) top() *dbnLevel { return &d.gen[len(d.gen)-1] }

func (d *DBN) recog(k int) *dbnLevel {
	if d.rec != nil {
		return &d.rec[k]
	}
	return &d.gen[k]
}

// String describes the stack, e.g. "RBM(v 784, h 500) → TopRBM(v 500, y 10, h 2000)".
func (d *DBN) String() string {
	parts := make([]string, len(d.gen))
	for k, lv := range d.gen {
		ls := lv.m.Layers()
		s := fmt.Sprintf("%s(%s %d", lv.m.ModelName(), ls[lv.in].Name, lv.nin)
		if lv.label >= 0 {
			s += fmt.Sprintf(", %s %d", ls[lv.label].Name, lv.classes)
		}
		parts[k] = s + fmt.Sprintf(", %s %d)", ls[lv.hid].Name, lv.nhid)
	}
	return strings.Join(parts, " → ")
}

// Untie gives the lower layers separate recognition weights, as up-down
// fine-tuning needs: recognition[k] must be another instance of the model
// type of Generative(k) (same name, parameters and layers); Untie copies the
// generative parameters into it, so that q_k starts equal to p_k(h | v).
func (d *DBN) Untie(recognition ...runtime.Reflective) error {
	if len(recognition) != len(d.gen)-1 {
		return fmt.Errorf("runtime: DBN untie: %d recognition models for %d lower layers", len(recognition), len(d.gen)-1)
	}
	rec := make([]dbnLevel, len(recognition))
	for k, r := range recognition {
		g := d.gen[k]
		if r == nil {
			return fmt.Errorf("runtime: DBN untie: recognition model %d is nil", k)
		}
		if r.ModelName() != g.m.ModelName() {
			return fmt.Errorf("runtime: DBN untie: recognition model %d is %s, the generative model is %s", k, r.ModelName(), g.m.ModelName())
		}
		gp, rp := g.m.Params(), r.Params()
		if err := dbnSameParams(gp, rp); err != nil {
			return fmt.Errorf("runtime: DBN untie: recognition model %d (%s): %w", k, r.ModelName(), err)
		}
		if len(gp) > 0 && len(gp[0].Data) > 0 && &gp[0].Data[0] == &rp[0].Data[0] {
			return fmt.Errorf("runtime: DBN untie: recognition model %d (%s) is the generative model itself; pass a second instance", k, r.ModelName())
		}
		lv, err := dbnInspect(r, false)
		if err != nil {
			return fmt.Errorf("runtime: DBN untie: recognition model %d (%s): %w", k, r.ModelName(), err)
		}
		if lv.nin != g.nin || lv.nhid != g.nhid {
			return fmt.Errorf("runtime: DBN untie: recognition model %d (%s) has %d×%d units, the generative model %d×%d", k, r.ModelName(), lv.nin, lv.nhid, g.nin, g.nhid)
		}
		for i := range gp {
			copy(rp[i].Data, gp[i].Data)
		}
		rec[k] = lv
	}
	d.rec = rec
	return nil
}

// dbnSameParams checks that two parameter lists have the same names and shapes.
func dbnSameParams(a, b []runtime.Tensor) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d parameters, want %d", len(b), len(a))
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Data) != len(b[i].Data) {
			return fmt.Errorf("parameter %d is %s with %d values, want %s with %d", i, b[i].Name, len(b[i].Data), a[i].Name, len(a[i].Data))
		}
	}
	return nil
}

// dbnBatch bounds the rows pushed through the network at once.
const dbnBatch = 500

// dbnChains caches batches of chains of one model by their length, so that
// a pass over a data set in batches allocates chains at most twice.
type dbnChains struct {
	m    runtime.Reflective
	seed uint64
	byN  map[int]runtime.Chains
}

func dbnNewChains(m runtime.Reflective, seed, role uint64) *dbnChains {
	return &dbnChains{m: m, seed: dbnSeed(seed, role), byN: map[int]runtime.Chains{}}
}

// dbnSeed derives the seed of one batch of chains from a seed and a role.
func dbnSeed(seed, stream uint64) uint64 {
	r := runtime.NewRNG(seed, stream)
	return r.Uint64()
}

func (c *dbnChains) get(n int) runtime.Chains {
	x, ok := c.byN[n]
	if !ok {
		x = c.m.NewChains(n, c.seed+uint64(len(c.byN))*0x9e3779b97f4a7c15)
		c.byN[n] = x
	}
	return x
}

// dbnPut copies n rows of width w, stride apart in src, into a layer of x.
func dbnPut(x runtime.Chains, layer int, src []float64, n, w, stride int) {
	dst := x.Layers()[layer].Data
	for r := 0; r < n; r++ {
		copy(dst[r*w:(r+1)*w], src[r*stride:r*stride+w])
	}
}

// dbnGet copies a layer of x (n rows of width w) into dst, rows stride apart.
func dbnGet(dst []float64, x runtime.Chains, layer int, n, w, stride int) {
	src := x.Layers()[layer].Data
	for r := 0; r < n; r++ {
		copy(dst[r*stride:r*stride+w], src[r*w:(r+1)*w])
	}
}

// dbnOneHot sets each chain's label layer to e_{labels[c]}.
func dbnOneHot(x runtime.Chains, layer, classes int, labels []int) {
	y := x.Layers()[layer].Data
	clear(y[:len(labels)*classes])
	for c, l := range labels {
		y[c*classes+l] = 1
	}
}

func (d *DBN) checkLabels(labels []int, rows int) error {
	k := d.top().classes
	if k == 0 {
		if labels != nil {
			return fmt.Errorf("labels given, but the top model %s has no label layer", d.top().m.ModelName())
		}
		return nil
	}
	if len(labels) != rows {
		return fmt.Errorf("%d labels for %d rows (the top model %s has a %d-way label layer)", len(labels), rows, d.top().m.ModelName(), k)
	}
	for i, l := range labels {
		if l < 0 || l >= k {
			return fmt.Errorf("label %d of row %d is outside 0…%d", l, i, k-1)
		}
	}
	return nil
}

// DBNSampleConfig configures DBN.Sample.
type DBNSampleConfig struct {
	// Sweeps is the number of Gibbs sweeps in the top model before the
	// ancestral pass; 0 means 1000.
	Sweeps int
	// Labels, when not nil, clamps the label layer of chain c to the one-hot
	// e_{Labels[c]} (len(Labels) = n): samples of p(v | y).
	Labels []int
	// Means makes the bottom layer of the ancestral pass its conditional
	// means E[v | h_1] instead of a sample: smoother pictures.
	Means bool
	Seed  uint64
	// Frame, when set, is called every Every sweeps (0 means 1) with the
	// ancestral pass of the current top-level state, bottom layer as means
	// (n rows of VisibleSize values, reused between calls): the frames of a
	// picture of the chain.
	Frame func(sweep int, v []float64)
	Every int
}

// Sample draws n samples of the DBN by Gibbs sampling in the top model
// (sweeps over h_L given h_{L−1} and y, then h_{L−1} and y given h_L; y
// stays clamped when cfg.Labels is set) from uniformly random states,
// followed by an ancestral pass down the directed layers,
// h_k ~ p_k(h_k | h_{k+1}) for k = L−2, …, 0. It returns the n rows of the
// bottom layer.
func (d *DBN) Sample(n int, cfg DBNSampleConfig) ([]float64, error) {
	top := d.top()
	switch {
	case n <= 0:
		return nil, fmt.Errorf("runtime: DBN sample: %d chains", n)
	case cfg.Sweeps < 0:
		return nil, fmt.Errorf("runtime: DBN sample: %d sweeps", cfg.Sweeps)
	case cfg.Labels != nil && top.classes == 0:
		return nil, fmt.Errorf("runtime: DBN sample: labels given, but the top model %s has no label layer", top.m.ModelName())
	case cfg.Labels != nil && len(cfg.Labels) != n:
		return nil, fmt.Errorf("runtime: DBN sample: %d labels for %d chains", len(cfg.Labels), n)
	}
	for c, l := range cfg.Labels {
		if l < 0 || l >= top.classes {
			return nil, fmt.Errorf("runtime: DBN sample: label %d of chain %d is outside 0…%d", l, c, top.classes-1)
		}
	}
	sweeps, every := cfg.Sweeps, max(cfg.Every, 1)
	if sweeps == 0 {
		sweeps = 1000
	}
	x := top.m.NewChains(n, dbnSeed(cfg.Seed, 0))
	if cfg.Labels != nil {
		dbnOneHot(x, top.label, top.classes, cfg.Labels)
	}
	down := d.newDown(n, cfg.Seed)
	in := make([]float64, n*top.nin)
	for s := 1; s <= sweeps; s++ {
		d.topSweep(x, cfg.Labels != nil)
		if cfg.Frame != nil && s%every == 0 {
			dbnGet(in, x, top.in, n, top.nin, top.nin)
			cfg.Frame(s, down.run(in, true))
		}
	}
	dbnGet(in, x, top.in, n, top.nin, top.nin)
	return append([]float64(nil), down.run(in, cfg.Means)...), nil
}

// topSweep samples h_L given the visible layers of the top model, then the
// visible layers given h_L (all but the label when it is clamped).
func (d *DBN) topSweep(x runtime.Chains, clampLabel bool) {
	top := d.top()
	top.m.Sample(x, top.hid, 1)
	for _, i := range top.visible {
		if !(clampLabel && i == top.label) {
			top.m.Sample(x, i, 1)
		}
	}
}

// dbnDown runs ancestral passes through the lower models.
type dbnDown struct {
	d      *DBN
	n      int
	chains []runtime.Chains
	out    []float64
}

func (d *DBN) newDown(n int, seed uint64) *dbnDown {
	dn := &dbnDown{d: d, n: n, chains: make([]runtime.Chains, len(d.gen)-1), out: make([]float64, n*d.gen[0].nin)}
	for k := range dn.chains {
		dn.chains[k] = d.gen[k].m.NewChains(n, dbnSeed(seed, uint64(k)+1))
	}
	return dn
}

// run draws h_k ~ p_k(h_k | h_{k+1}) from the top model's visible states
// in (n rows) down to the bottom, whose means it returns instead with means.
// The result is reused by the next call.
func (dn *dbnDown) run(in []float64, means bool) []float64 {
	cur := in
	for k := len(dn.chains) - 1; k >= 0; k-- {
		lv, x := &dn.d.gen[k], dn.chains[k]
		dbnPut(x, lv.hid, cur, dn.n, lv.nhid, lv.nhid)
		if k == 0 && means {
			lv.m.Mean(x, lv.in, 1, dn.out)
			return dn.out
		}
		lv.m.Sample(x, lv.in, 1)
		cur = x.Layers()[lv.in].Data
	}
	copy(dn.out, cur)
	return dn.out
}

// ClassProbs returns p(y | v) for every row of data, rows × Classes(): the
// rows go up the recognition conditionals by their means to
// μ_{L−1} ≈ E[h_{L−1} | v], and the top model classifies them exactly
// through its free energy F(h_{L−1}, y) (the package-level ClassProbs):
//
//	p(y = k | v) ≈ exp(−F(μ_{L−1}, e_k)) / Σ_j exp(−F(μ_{L−1}, e_j))
func (d *DBN) ClassProbs(data dataset.Source) ([]float64, error) {
	top := d.top()
	if top.classes == 0 {
		return nil, fmt.Errorf("runtime: DBN classify: the top model %s has no label layer", top.m.ModelName())
	}
	if err := d.checkData(data, 0); err != nil {
		return nil, fmt.Errorf("runtime: DBN classify: %w", err)
	}
	// The features are computed as ClassProbs gathers them, a batch at a time.
	feats := d.upSource(data, 0, len(d.gen)-1, false, 0)
	return estimators.ClassProbs(top.m, top.m.Layers()[top.label].Name, feats)
}

// Pretraining.

// DBNLayerTraining configures the greedy training of one model of a DBN.
type DBNLayerTraining struct {
	CD  runtime.CDConfig   // the model's generated CD-k / PCD-k trainer (NewTrainer)
	Fit training.FitConfig // epochs, batches, progress, metrics and checkpoints, as for Fit
	// Init, if set, is called with the model and the rows it is about to
	// be fitted to (the layer below's outputs, with the labels for a
	// labelled top) before its trainer is made: to start its visible
	// biases at the data's base rates, say (BaseRate, Base.SetBiases).
	Init func(m runtime.Reflective, data dataset.Source) error
}

// DBNPretrainConfig configures DBN.Pretrain.
type DBNPretrainConfig struct {
	// Layers configures each model, bottom first; a single entry serves
	// every model.
	Layers []DBNLayerTraining
	// SampleUp passes binary samples of q(h_{k+1} | h_k) to the next model
	// instead of the conditional means.
	SampleUp bool
	Seed     uint64
}

// Pretrain trains the DBN greedily, layer by layer (Hinton, Osindero & Teh
// 2006): model 0 is fitted to data by its generated trainer, the data are
// mapped up through its p(h | v) (means, or samples with SampleUp), model 1
// is fitted to that, and so on; the top model sees its inputs with the
// one-hot labels appended when it has a label layer (labels must then hold
// one class per row, and be nil otherwise). With means, the rows of a
// higher model are computed from data as its trainer gathers each
// minibatch (an up-pass per epoch, no copy of the data set at any level);
// with SampleUp, the samples of each level are drawn once and held, rows ×
// units values. Each model's Fit.Progress receives a header line and Fit's
// per-epoch lines. Recognition copies made by Untie are overwritten with
// the trained parameters. It returns the epoch statistics of every model
// trained, also on error.
func (d *DBN) Pretrain(ctx context.Context, data dataset.Source, labels []int, cfg DBNPretrainConfig) ([][]training.EpochStats, error) {
	if err := d.checkData(data, 0); err != nil {
		return nil, fmt.Errorf("runtime: DBN pretrain: %w", err)
	}
	rows, _ := data.Shape()
	if err := d.checkLabels(labels, rows); err != nil {
		return nil, fmt.Errorf("runtime: DBN pretrain: %w", err)
	}
	if len(cfg.Layers) != 1 && len(cfg.Layers) != len(d.gen) {
		return nil, fmt.Errorf("runtime: DBN pretrain: %d layer configurations for %d models (give one, or one per model)", len(cfg.Layers), len(d.gen))
	}
	var all [][]training.EpochStats
	cur := data
	last := len(d.gen) - 1
	for k := range d.gen {
		lv := d.gen[k]
		lc := cfg.Layers[min(k, len(cfg.Layers)-1)]
		if w := lc.Fit.Progress; w != nil {
			r, c := cur.Shape()
			if _, err := fmt.Fprintf(w, "DBN layer %d/%d: %s on %d rows × %d columns\n", k+1, len(d.gen), lv.m.ModelName(), r, c); err != nil {
				return all, fmt.Errorf("runtime: DBN pretrain: write progress: %w", err)
			}
		}
		if lc.Init != nil {
			if err := lc.Init(lv.m, cur); err != nil {
				return all, fmt.Errorf("runtime: DBN pretrain: model %d (%s): init: %w", k, lv.m.ModelName(), err)
			}
		}
		t, err := lv.m.NewTrainer(lc.CD)
		if err != nil {
			return all, fmt.Errorf("runtime: DBN pretrain: model %d (%s): %w", k, lv.m.ModelName(), err)
		}
		stats, err := training.Fit(ctx, t, cur, lc.Fit)
		all = append(all, stats)
		if err != nil {
			return all, fmt.Errorf("runtime: DBN pretrain: model %d: %w", k, err)
		}
		if d.rec != nil && k < last {
			rp := d.rec[k].m.Params()
			for i, p := range lv.m.Params() {
				copy(rp[i].Data, p.Data)
			}
		}
		if k == last {
			break
		}
		if cfg.SampleUp {
			cur = d.materialize(d.upSource(cur, k, k+1, true, cfg.Seed+uint64(k)))
		} else {
			cur = d.upSource(data, 0, k+1, false, 0)
		}
		if k+1 == last && d.top().classes > 0 {
			cur = &dataset.Labelled{X: cur, Labels: labels, Classes: d.top().classes}
		}
	}
	return all, nil
}
