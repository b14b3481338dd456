package deep

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ebmc/ebmc/runtime"
)

// The directed layers' log-conditionals and their gradients, and up-down
// fine-tuning (contrastive wake-sleep).

// checkChains checks that x are chains of model lv (same layer sizes) and
// that dst, when not nil, holds one value per chain.
func (lv *dbnLevel) checkChains(x runtime.Chains, dst []float64) error {
	if x == nil {
		return fmt.Errorf("chains are nil")
	}
	want, got := lv.m.Layers(), x.Layers()
	if len(got) != len(want) {
		return fmt.Errorf("chains with %d layers, model %s has %d", len(got), lv.m.ModelName(), len(want))
	}
	n := x.Len()
	for i, ly := range want {
		if got[i].Name != ly.Name || len(got[i].Data) != n*dbnSize(ly.Shape) {
			return fmt.Errorf("chains' layer %d is %s with %d values, model %s's layer %s needs %d for %d chains", i, got[i].Name, len(got[i].Data), lv.m.ModelName(), ly.Name, n*dbnSize(ly.Shape), n)
		}
	}
	if dst != nil && len(dst) != n {
		return fmt.Errorf("dst holds %d values for %d chains", len(dst), n)
	}
	return nil
}

func (lv *dbnLevel) checkGrads(g []runtime.Tensor) error {
	ps := lv.m.Params()
	if len(g) != len(ps) {
		return fmt.Errorf("%d gradient tensors, model %s has %d parameters", len(g), lv.m.ModelName(), len(ps))
	}
	for i, p := range ps {
		if len(g[i].Data) != len(p.Data) {
			return fmt.Errorf("gradient tensor %d holds %d values, parameter %s has %d", i, len(g[i].Data), p.Name, len(p.Data))
		}
	}
	return nil
}

// logDown writes log p(v | h) = −E(v, h) + F(h) of every chain; tmp holds
// one value per chain.
func (lv *dbnLevel) logDown(x runtime.Chains, dst, tmp []float64) {
	lv.m.Energy(x, dst)
	lv.m.FreeEnergy(x, lv.feHid, 1, tmp)
	for c := range dst {
		dst[c] = tmp[c] - dst[c]
	}
}

// logUp writes log p(h | v) = −E(v, h) + F(v) of every chain.
func (lv *dbnLevel) logUp(x runtime.Chains, dst, tmp []float64) {
	lv.m.Energy(x, dst)
	lv.m.FreeEnergy(x, lv.feIn, 1, tmp)
	for c := range dst {
		dst[c] = tmp[c] - dst[c]
	}
}

// lower returns lower layer k of the generative or recognition models.
func (d *DBN) lower(k int, recognition bool) (*dbnLevel, error) {
	if k < 0 || k >= len(d.gen)-1 {
		return nil, fmt.Errorf("layer %d is not a lower layer (0…%d)", k, len(d.gen)-2)
	}
	if recognition {
		return d.recog(k), nil
	}
	return &d.gen[k], nil
}

// LogGenerative writes into dst, for every chain of x (chains of
// Generative(k), k < Len()−1, holding h_k in the visible layer and h_{k+1}
// in the hidden one), the log-probability of the directed connection
//
//	log p_k(h_k | h_{k+1}) = −E_k(h_k, h_{k+1}) + F_k(h_{k+1}),
//
// F_k the free energy with the visible layer summed out.
func (d *DBN) LogGenerative(k int, x runtime.Chains, dst []float64) error {
	lv, err := d.lower(k, false)
	if err == nil {
		err = lv.checkChains(x, dst)
	}
	if err != nil {
		return fmt.Errorf("runtime: DBN log p(h_k | h_k+1): %w", err)
	}
	lv.logDown(x, dst, make([]float64, len(dst)))
	return nil
}

// LogRecognition writes into dst, for every chain of x (chains of
// Recognition(k) holding h_k in the visible layer and h_{k+1} in the hidden
// one), the log-probability of the recognition connection
//
//	log q_k(h_{k+1} | h_k) = −E'_k(h_k, h_{k+1}) + F'_k(h_k),
//
// F'_k the free energy with the hidden layer summed out.
func (d *DBN) LogRecognition(k int, x runtime.Chains, dst []float64) error {
	lv, err := d.lower(k, true)
	if err == nil {
		err = lv.checkChains(x, dst)
	}
	if err != nil {
		return fmt.Errorf("runtime: DBN log q(h_k+1 | h_k): %w", err)
	}
	lv.logUp(x, dst, make([]float64, len(dst)))
	return nil
}

// GenerativeGrad adds scale·Σ_chains ∂ log p_k(h_k | h_{k+1}) / ∂θ into g
// (tensors in the Params order of Generative(k)), the wake-phase gradient
//
//	∂ log p(v | h)/∂θ = −∂E/∂θ(v, h) + E_{p(v' | h)}[∂E/∂θ(v', h)],
//
// for chains x of Generative(k) as in LogGenerative.
func (d *DBN) GenerativeGrad(k int, x runtime.Chains, scale float64, g []runtime.Tensor) error {
	lv, err := d.lower(k, false)
	if err == nil {
		err = lv.checkChains(x, nil)
	}
	if err == nil {
		err = lv.checkGrads(g)
	}
	if err != nil {
		return fmt.Errorf("runtime: DBN generative gradient: %w", err)
	}
	lv.m.EnergyGrad(x, -scale, g)
	lv.m.FreeEnergyGrad(x, lv.feHid, scale, g)
	return nil
}

// RecognitionGrad adds scale·Σ_chains ∂ log q_k(h_{k+1} | h_k) / ∂θ into g
// (tensors in the Params order of Recognition(k)), the sleep-phase gradient
//
//	∂ log q(h | v)/∂θ = −∂E'/∂θ(v, h) + E_{q(h' | v)}[∂E'/∂θ(v, h')],
//
// for chains x of Recognition(k) as in LogRecognition.
func (d *DBN) RecognitionGrad(k int, x runtime.Chains, scale float64, g []runtime.Tensor) error {
	lv, err := d.lower(k, true)
	if err == nil {
		err = lv.checkChains(x, nil)
	}
	if err == nil {
		err = lv.checkGrads(g)
	}
	if err != nil {
		return fmt.Errorf("runtime: DBN recognition gradient: %w", err)
	}
	lv.m.EnergyGrad(x, -scale, g)
	lv.m.FreeEnergyGrad(x, lv.feIn, scale, g)
	return nil
}

// DBNUpDownConfig configures up-down fine-tuning.
type DBNUpDownConfig struct {
	// K is the number of Gibbs sweeps in the top model per update (CD-K
	// from the wake state); 0 means 1.
	K int
	// Optimizer updates every trained parameter (generative, recognition
	// and top); its LearningRate must be positive.
	Optimizer runtime.SGD
	// MeanVisible gives the sleep phase's bottom layer its conditional
	// means p(v | h_1) instead of a sample, as Hinton et al.'s code does.
	MeanVisible bool
	// Float32 runs the batched products of every step in float32
	// (runtime.SetFloat32 on each batch of chains the trainer creates;
	// Workspace.SetFloat32 gives the error bound), where the CPU has the
	// kernels: about 1.6× faster on an AVX2 machine (docs/performance.md).
	// Float32Active reports whether it took effect.
	Float32 bool
	Seed    uint64
}

// DBNUpDown fine-tunes an untied DBN by the up-down algorithm, contrastive
// wake-sleep (Hinton, Osindero & Teh 2006, appendix B). Each step on a
// minibatch of rows (v, and the one-hot label y when the top model has one):
//
//   - wake: h_{k+1} ~ q_k(h_{k+1} | h_k) from h_0 = v up to h_{L−1}; each
//     directed layer ascends log p_k(h_k | h_{k+1}) (GenerativeGrad);
//   - top: the top model ascends the CD-K estimate of its log-likelihood
//     gradient, −∂F/∂θ(h_{L−1}, y) + ∂F/∂θ(h'_{L−1}, y'), with (h', y')
//     after K Gibbs sweeps from the wake state;
//   - sleep: h'_k ~ p_k(h_k | h'_{k+1}) from h'_{L−1} down to the bottom;
//     each recognition layer ascends log q_k(h'_{k+1} | h'_k)
//     (RecognitionGrad).
//
// Gradients are averaged over the rows and applied by the configured SGD.
// DBNUpDown implements Trainer, so Fit drives it (progress, divergence
// checks, checkpoints); rows are DBN.WithLabels's. TrainStep returns the
// batch's Σ‖v − E[v | h_1]‖² with h_1 the wake sample.
type DBNUpDown struct {
	dbnTrained
	cfg        DBNUpDownConfig
	genG, recG [][]runtime.Tensor
	topG       []runtime.Tensor
	// meansOK: the bottom generative model's energy is affine in its
	// visible layer, so its free-energy gradient is the energy gradient at
	// the visible means, which the reconstruction error reads too.
	meansOK bool
	ws      *runtime.Workspace // the clears and the updates
	scratch map[int]*dbnUpDownScratch
	f32     bool // every batch of chains runs its products in float32
}

// Float32Active reports whether the products run in float32: Float32 was
// set and every model's chains support it (runtime.Float32Chains, as
// generated chains do). It is known after the first TrainStep.
func (t *DBNUpDown) Float32Active() bool { return t.f32 }

// dbnUpDownScratch holds the chains and states of one minibatch size, and
// their layers (Layers allocates, so it is called once).
type dbnUpDownScratch struct {
	gen, rec   []runtime.Chains
	genL, recL [][]runtime.Tensor
	means      runtime.Chains // chains of the bottom model: E[v | h_1] and h_1 (meansOK)
	meansL     []runtime.Tensor
	pos, neg   runtime.Chains
	posL, negL []runtime.Tensor
	wake       [][]float64 // h_0 … h_{L−1}, n rows each
	sleep      [][]float64
	recon      []float64
}

// UpDown returns the up-down trainer of d, which must be untied (Untie).
func (d *DBN) UpDown(cfg DBNUpDownConfig) (*DBNUpDown, error) {
	if d.rec == nil {
		return nil, fmt.Errorf("runtime: DBN up-down: the recognition and generative weights are tied; call Untie with a second instance of each lower model first")
	}
	if lr := cfg.Optimizer.LearningRate; !(lr > 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("runtime: DBN up-down: learning rate %v is not positive and finite", lr)
	}
	if cfg.K < 0 {
		return nil, fmt.Errorf("runtime: DBN up-down: K = %d Gibbs sweeps", cfg.K)
	}
	if cfg.K == 0 {
		cfg.K = 1
	}
	if cfg.Float32 && !runtime.HasFloat32() {
		return nil, errors.New("runtime: DBN up-down: Float32: this CPU has no float32 kernels (they need AVX2 and FMA, or AVX-512)")
	}
	t := &DBNUpDown{dbnTrained: newDBNTrained(d), cfg: cfg, scratch: map[int]*dbnUpDownScratch{},
		meansOK: dbnAffineIn(&d.gen[0], d.gen[0].in), ws: runtime.NewWorkspace(0)}
	for k := range d.gen[:len(d.gen)-1] {
		t.genG = append(t.genG, t.add(fmt.Sprintf("gen%d", k), d.gen[k].m))
		t.recG = append(t.recG, t.add(fmt.Sprintf("rec%d", k), d.rec[k].m))
	}
	t.topG = t.add("top", d.top().m)
	return t, nil
}

// dbnTrained is what the DBN trainers share: the trained parameters of the
// DBN's models as named views, with their gradients and velocities.
// Params names them "gen<k>.<param>" (directed layer k), "rec<k>.<param>"
// (recognition layer k) and "top.<param>".
type dbnTrained struct {
	d                  *DBN
	name               string
	params, grads, vel []runtime.Tensor
	norms              []float64 // scratch of the max-norm constraint
}

func newDBNTrained(d *DBN) dbnTrained {
	names := make([]string, len(d.gen))
	for k, g := range d.gen {
		names[k] = g.m.ModelName()
	}
	return dbnTrained{d: d, name: "DBN(" + strings.Join(names, ", ") + ")"}
}

// add registers the trained parameters of m under prefix and returns a
// gradient tensor for every parameter of m, in Params order (those of fixed
// parameters are not trained).
func (t *dbnTrained) add(prefix string, m runtime.Reflective) []runtime.Tensor {
	var g []runtime.Tensor
	for _, p := range m.Params() {
		name := prefix + "." + p.Name
		gr := runtime.Tensor{Name: "grad." + name, Shape: p.Shape, Data: make([]float64, len(p.Data))}
		g = append(g, gr)
		if p.Fixed {
			continue
		}
		t.params = append(t.params, runtime.Tensor{Name: name, Shape: p.Shape, Data: p.Data})
		t.grads = append(t.grads, gr)
		t.vel = append(t.vel, runtime.Tensor{Name: "velocity." + name, Shape: p.Shape, Data: make([]float64, len(p.Data))})
	}
	if n := runtime.FanIn(t.params); n > len(t.norms) {
		t.norms = make([]float64, n)
	}
	return g
}

// ModelName names the DBN by its models, e.g. "DBN(RBM, TopRBM)".
func (t *dbnTrained) ModelName() string { return t.name }

// Params returns the trained parameters.
func (t *dbnTrained) Params() []runtime.Tensor { return t.params }

// VisibleSize is the width of a row: the bottom visible layer and the label.
func (t *dbnTrained) VisibleSize() int { return t.d.gen[0].nin + t.d.top().classes }

// State returns the optimizer's velocities, "velocity.<param>".
func (t *dbnTrained) State() []runtime.Tensor { return t.vel }

func (t *DBNUpDown) scratchFor(n int) *dbnUpDownScratch {
	if s, ok := t.scratch[n]; ok {
		return s
	}
	d := t.d
	seed := dbnSeed(t.cfg.Seed, uint64(n))
	s := &dbnUpDownScratch{recon: make([]float64, n*d.gen[0].nin)}
	for k := range d.gen[:len(d.gen)-1] {
		s.gen = append(s.gen, d.gen[k].m.NewChains(n, seed+uint64(2*k+1)))
		s.rec = append(s.rec, d.rec[k].m.NewChains(n, seed+uint64(2*k+2)))
	}
	top := d.top()
	s.pos = top.m.NewChains(n, seed+uint64(2*len(d.gen)+1))
	s.neg = top.m.NewChains(n, seed+uint64(2*len(d.gen)+2))
	if t.meansOK {
		s.means = d.gen[0].m.NewChains(n, 0)
		s.meansL = s.means.Layers()
	}
	for k := range s.gen {
		s.genL = append(s.genL, s.gen[k].Layers())
		s.recL = append(s.recL, s.rec[k].Layers())
	}
	s.posL, s.negL = s.pos.Layers(), s.neg.Layers()
	if t.cfg.Float32 {
		f32 := true
		for _, x := range append(append([]runtime.Chains{s.pos, s.neg, s.means}, s.gen...), s.rec...) {
			if x != nil {
				f32 = runtime.SetFloat32(x, true) && f32
			}
		}
		t.f32 = f32
	}
	for k := range d.gen {
		s.wake = append(s.wake, make([]float64, n*d.gen[k].nin))
		s.sleep = append(s.sleep, make([]float64, n*d.gen[k].nin))
	}
	t.scratch[n] = s
	return s
}

// TrainStep performs one up-down update on rows rows of batch (rows ×
// VisibleSize) and returns the wake reconstruction error Σ‖v − E[v | h_1]‖².
func (t *DBNUpDown) TrainStep(batch []float64, rows int, epoch int) float64 {
	width := t.VisibleSize()
	if rows <= 0 || len(batch) < rows*width {
		return math.NaN() // Fit reports a non-finite error as divergence
	}
	d, s := t.d, t.scratchFor(rows)
	for _, gs := range [][][]runtime.Tensor{t.genG, t.recG, {t.topG}} {
		for _, g := range gs {
			for _, x := range g {
				t.ws.Clear(x.Data)
			}
		}
	}
	n, inv, last := rows, 1/float64(rows), len(d.gen)-1
	bottom, top := &d.gen[0], d.top()
	dbnRows(s.wake[0], batch, n, bottom.nin, bottom.nin, width)
	recon := 0.0
	for k := 0; k < last; k++ {
		rk, gk := &d.rec[k], &d.gen[k]
		x, xl := s.rec[k], s.recL[k]
		dbnRows(xl[rk.in].Data, s.wake[k], n, rk.nin, rk.nin, rk.nin)
		rk.m.Sample(x, rk.hid, 1)
		dbnRows(s.wake[k+1], xl[rk.hid].Data, n, rk.nhid, rk.nhid, rk.nhid)
		y, yl := s.gen[k], s.genL[k]
		dbnRows(yl[gk.in].Data, s.wake[k], n, gk.nin, gk.nin, gk.nin)
		dbnRows(yl[gk.hid].Data, s.wake[k+1], n, gk.nhid, gk.nhid, gk.nhid)
		if k > 0 {
			gk.m.EnergyGrad(y, -inv, t.genG[k])
			gk.m.FreeEnergyGrad(y, gk.feHid, inv, t.genG[k])
			continue
		}
		gk.m.Mean(y, gk.in, 1, s.recon)
		gk.m.EnergyGrad(y, -inv, t.genG[k])
		if t.meansOK {
			// ∂F/∂θ(h) = ∂E/∂θ(E[v | h], h): the generated FreeEnergyGrad's
			// product from the means just computed, not a second time.
			ml := s.meansL
			copy(ml[gk.in].Data, s.recon)
			copy(ml[gk.hid].Data, yl[gk.hid].Data)
			gk.m.EnergyGrad(s.means, inv, t.genG[k])
		} else {
			gk.m.FreeEnergyGrad(y, gk.feHid, inv, t.genG[k])
		}
		for i, v := range s.wake[0] {
			recon += (v - s.recon[i]) * (v - s.recon[i])
		}
	}
	dbnRows(s.posL[top.in].Data, s.wake[last], n, top.nin, top.nin, top.nin)
	dbnRows(s.negL[top.in].Data, s.wake[last], n, top.nin, top.nin, top.nin)
	if top.classes > 0 {
		dbnRows(s.posL[top.label].Data, batch[bottom.nin:], n, top.classes, top.classes, width)
		dbnRows(s.negL[top.label].Data, batch[bottom.nin:], n, top.classes, top.classes, width)
	}
	top.m.FreeEnergyGrad(s.pos, top.feIn, -inv, t.topG)
	for i := 0; i < t.cfg.K; i++ {
		d.topSweep(s.neg, false)
	}
	top.m.FreeEnergyGrad(s.neg, top.feIn, inv, t.topG)
	dbnRows(s.sleep[last], s.negL[top.in].Data, n, top.nin, top.nin, top.nin)
	for k := last - 1; k >= 0; k-- {
		rk, gk := &d.rec[k], &d.gen[k]
		y, yl := s.gen[k], s.genL[k]
		dbnRows(yl[gk.hid].Data, s.sleep[k+1], n, gk.nhid, gk.nhid, gk.nhid)
		if k == 0 && t.cfg.MeanVisible {
			gk.m.Mean(y, gk.in, 1, s.sleep[0])
		} else {
			gk.m.Sample(y, gk.in, 1)
			dbnRows(s.sleep[k], yl[gk.in].Data, n, gk.nin, gk.nin, gk.nin)
		}
		x, xl := s.rec[k], s.recL[k]
		dbnRows(xl[rk.in].Data, s.sleep[k], n, rk.nin, rk.nin, rk.nin)
		dbnRows(xl[rk.hid].Data, s.sleep[k+1], n, rk.nhid, rk.nhid, rk.nhid)
		rk.m.EnergyGrad(x, -inv, t.recG[k])
		rk.m.FreeEnergyGrad(x, rk.feIn, inv, t.recG[k])
	}
	for i, p := range t.params {
		t.ws.Update(&t.cfg.Optimizer, p.Data, t.grads[i].Data, t.vel[i].Data, epoch)
		t.cfg.Optimizer.ConstrainTensor(p, t.norms)
	}
	return recon
}

// dbnRows copies n rows of width w from src, srcStride apart, into dst,
// dstStride apart.
func dbnRows(dst, src []float64, n, w, dstStride, srcStride int) {
	for r := 0; r < n; r++ {
		copy(dst[r*dstStride:r*dstStride+w], src[r*srcStride:r*srcStride+w])
	}
}

// dbnAffineIn reports whether lv's energy is affine in its layer: units
// that are not gaussian, and every term holding the layer holding it once,
// to the power 1. Then ∂E/∂θ is affine in the layer, and its expectation
// under the layer's conditional is ∂E/∂θ at the conditional means.
func dbnAffineIn(lv *dbnLevel, layer int) bool {
	if lv.m.Layers()[layer].Kind == runtime.KindGaussian {
		return false
	}
	for _, term := range lv.m.Terms() {
		seen := 0
		for i, l := range term.Layers {
			if l == layer {
				seen++
				if term.Powers[i] != 1 {
					return false
				}
			}
		}
		if seen > 1 {
			return false
		}
	}
	return true
}

var _ runtime.Trainer = (*DBNUpDown)(nil)
