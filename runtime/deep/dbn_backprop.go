package deep

import (
	"fmt"
	"math"
	"slices"

	"github.com/ebmc/ebmc/runtime"
)

// DBNBackpropConfig configures DBN.Backprop.
type DBNBackpropConfig struct {
	// Optimizer updates the recognition parameters of the lower models and
	// the parameters of the top model; its LearningRate must be positive.
	Optimizer runtime.SGD
	// Rates multiply the learning rate of the named parameters (names as
	// in Params, e.g. {"rec0.W": 10}): the top model's free energy sums
	// over all its hidden units, so its gradients are much larger than
	// those that reach the lower layers.
	Rates map[string]float64
}

// DBNBackprop fine-tunes a labelled DBN as a classifier by backpropagation
// (Hinton & Salakhutdinov 2006; Deep Learning §20.3): it descends the
// conditional log-loss of the classifier that DBN.ClassProbs evaluates,
//
//	L = −(1/n) Σ_r log p(y_r | v_r),  p(y | v) = exp(−F(μ_{L−1}, y)) / Σ_c exp(−F(μ_{L−1}, e_c)),
//
// where μ_0 = v and μ_{k+1} = E_q[h_{k+1} | h_k = μ_k] is the deterministic
// up-pass through the recognition conditionals and F the top model's free
// energy of its visible layers. Every gradient comes from the models'
// derived energies and free energies, with no knowledge of their formulas:
//
//   - top: ∂L/∂θ = Σ_c w_c ∂F(μ, e_c)/∂θ with w_c = [c = y] − p(c | v)
//     (FreeEnergyGrad with chain weights), and
//     ∂L/∂μ_i = −Σ_c w_c a_i(E[h | μ, e_c], e_c), a_i = −∂E/∂v_i the
//     field of input unit i, exact because E is multilinear in the discrete
//     hidden units, which are independent given the visible layers;
//   - lower layer k, μ_{k+1} = σ(a(μ_k)) (bernoulli hidden units): with
//     δ = ∂L/∂μ_{k+1} ⊙ μ_{k+1}(1 − μ_{k+1}) and E affine in the hidden
//     layer, Σ_j δ_j a_j(v) = −(E(v, δ) − E(v, 0)), so
//     ∂L/∂θ = −(∂E(v, δ)/∂θ − ∂E(v, 0)/∂θ) (EnergyGrad) and
//     ∂L/∂v_i = a_i(δ) − a_i(0) (Field of the visible layer).
//
// It trains Recognition(k) of every lower model: after Untie the
// generative directed layers stay as they were; while tied they change with
// it. The top model's parameters are trained in both cases. DBNBackprop
// implements Trainer, so Fit drives it; rows are DBN.WithLabels's, and
// TrainStep returns the batch's Σ_r −log p(y_r | v_r). Its Params are named
// "rec<k>.<param>" ("gen<k>.<param>" while the weights are tied) and
// "top.<param>".
type DBNBackprop struct {
	dbnTrained
	cfg     DBNBackpropConfig
	opt     []runtime.SGD // per trained parameter, the learning rate times its rate
	lowG    [][]runtime.Tensor
	topG    []runtime.Tensor
	scratch map[int]*dbnBackpropScratch
}

// dbnBackpropScratch holds the chains and buffers of one minibatch size n.
type dbnBackpropScratch struct {
	low       []runtime.Chains   // n chains of each lower recognition model
	lowLayers [][]runtime.Tensor // their layers (Layers allocates, so it is called once)
	top       runtime.Chains     // n·C chains of the top model, row r with class c at r·C + c
	topLayers []runtime.Tensor
	mu        [][]float64 // μ_0 … μ_{L−1}, n rows each
	f, w      []float64   // free energies and loss weights of the top chains
	hid       []float64   // hidden means of the top chains
	field     []float64   // fields of the top chains' input layer, or of a lower visible layer
	field0    []float64   // the same with the hidden layer at 0
	grad      []float64   // ∂L/∂μ_k of the level being processed, n rows
	delta     []float64   // δ of the level being processed, n rows
}

// Backprop returns the backpropagation trainer of d, whose top model must
// have a label layer. The lower models' hidden layers must be bernoulli and
// the top model's discrete.
func (d *DBN) Backprop(cfg DBNBackpropConfig) (*DBNBackprop, error) {
	top := d.top()
	if top.classes == 0 {
		return nil, fmt.Errorf("runtime: DBN backprop: the top model %s has no label layer to classify with", top.m.ModelName())
	}
	if lr := cfg.Optimizer.LearningRate; !(lr > 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("runtime: DBN backprop: learning rate %v is not positive and finite", lr)
	}
	if ly := top.m.Layers()[top.hid]; ly.Kind == runtime.KindGaussian {
		return nil, fmt.Errorf("runtime: DBN backprop: the top model %s has a gaussian hidden layer %s; backpropagation through its free energy needs discrete hidden units", top.m.ModelName(), ly.Name)
	}
	t := &DBNBackprop{dbnTrained: newDBNTrained(d), cfg: cfg, scratch: map[int]*dbnBackpropScratch{}}
	for k := range d.gen[:len(d.gen)-1] {
		lv := d.recog(k)
		if kind := lv.m.Layers()[lv.hid].Kind; kind != runtime.KindBernoulli {
			return nil, fmt.Errorf("runtime: DBN backprop: model %d (%s) has %s hidden units; backpropagation through the up-pass supports bernoulli units", k, lv.m.ModelName(), kind)
		}
		prefix := fmt.Sprintf("rec%d", k)
		if d.Tied() {
			prefix = fmt.Sprintf("gen%d", k)
		}
		t.lowG = append(t.lowG, t.add(prefix, lv.m))
	}
	t.topG = t.add("top", top.m)
	for range t.params {
		t.opt = append(t.opt, cfg.Optimizer)
	}
	for name, r := range cfg.Rates {
		i := slices.IndexFunc(t.params, func(p runtime.Tensor) bool { return p.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("runtime: DBN backprop: Rates names %q, which is not a trained parameter", name)
		}
		if !(r >= 0) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("runtime: DBN backprop: rate %v for %s is not finite and ≥ 0", r, name)
		}
		t.opt[i].LearningRate *= r
	}
	return t, nil
}

// LossName names what TrainStep returns.
func (t *DBNBackprop) LossName() string { return "−log p(y|v)" }

func (t *DBNBackprop) scratchFor(n int) *dbnBackpropScratch {
	if s, ok := t.scratch[n]; ok {
		return s
	}
	d, top := t.d, t.d.top()
	nc := n * top.classes
	s := &dbnBackpropScratch{
		top: top.m.NewChains(nc, 1),
		f:   make([]float64, nc), w: make([]float64, nc),
		hid: make([]float64, nc*top.nhid),
	}
	width := nc * top.nin
	for k := range d.gen[:len(d.gen)-1] {
		lv := d.recog(k)
		s.low = append(s.low, lv.m.NewChains(n, 1))
		s.mu = append(s.mu, make([]float64, n*lv.nin))
		width = max(width, n*lv.nin)
	}
	s.mu = append(s.mu, make([]float64, n*top.nin))
	for _, x := range s.low {
		s.lowLayers = append(s.lowLayers, x.Layers())
	}
	s.topLayers = s.top.Layers()
	s.field, s.field0 = make([]float64, width), make([]float64, width)
	s.grad, s.delta = make([]float64, width), make([]float64, width)
	t.scratch[n] = s
	return s
}

// TrainStep performs one update on rows rows of batch (rows × VisibleSize,
// the one-hot label after the pixels) and returns Σ_r −log p(y_r | v_r)
// before the update.
func (t *DBNBackprop) TrainStep(batch []float64, rows int, epoch int) float64 {
	width := t.VisibleSize()
	if rows <= 0 || len(batch) < rows*width {
		return math.NaN() // Fit reports a non-finite loss as divergence
	}
	loss := t.gradient(batch, rows)
	for i, p := range t.params {
		t.opt[i].Update(p.Data, t.grads[i].Data, t.vel[i].Data, epoch)
	}
	return loss
}

// gradient writes −∂L/∂θ, the ascent direction, into the gradient tensors
// and returns the summed loss.
func (t *DBNBackprop) gradient(batch []float64, n int) float64 {
	// Every gradient tensor, fixed parameters' too: the models' gradient
	// methods add into all of them.
	for _, gs := range t.lowG {
		for _, g := range gs {
			clear(g.Data)
		}
	}
	for _, g := range t.topG {
		clear(g.Data)
	}
	d, s := t.d, t.scratchFor(n)
	width, last := t.VisibleSize(), len(d.gen)-1
	nin0 := d.gen[0].nin
	for r := range n {
		copy(s.mu[0][r*nin0:(r+1)*nin0], batch[r*width:r*width+nin0])
	}
	for k := range last {
		lv := d.recog(k)
		copy(s.lowLayers[k][lv.in].Data, s.mu[k][:n*lv.nin])
		lv.m.Mean(s.low[k], lv.hid, 1, s.mu[k+1])
	}
	loss := t.topGradient(batch, n, s)
	for k := last - 1; k >= 0; k-- {
		t.lowerGradient(k, n, s)
	}
	return loss
}

// topGradient evaluates p(y | μ_{L−1}) for the n rows, adds the top model's
// part of −∂L/∂θ and leaves ∂L_r/∂μ_{L−1} in s.grad.
func (t *DBNBackprop) topGradient(batch []float64, n int, s *dbnBackpropScratch) float64 {
	d, top := t.d, t.d.top()
	C, width, last := top.classes, t.VisibleSize(), len(d.gen)-1
	nin0 := d.gen[0].nin
	x, mu := s.top, s.mu[last]
	layers := s.topLayers
	in, label := layers[top.in].Data, layers[top.label].Data
	for r := range n {
		for c := range C {
			ch := r*C + c
			copy(in[ch*top.nin:(ch+1)*top.nin], mu[r*top.nin:(r+1)*top.nin])
			y := label[ch*C : (ch+1)*C]
			clear(y)
			y[c] = 1
		}
	}
	nc := n * C
	top.m.FreeEnergy(x, top.feIn, 1, s.f[:nc])
	var loss float64
	for r := range n {
		y := dbnLabel(batch[r*width+nin0 : r*width+nin0+C])
		f, w := s.f[r*C:(r+1)*C], s.w[r*C:(r+1)*C]
		for c := range C {
			w[c] = -f[c]
		}
		lse := runtime.LogSumExp(w)
		loss += f[y] + lse
		for c := range C {
			w[c] = -math.Exp(-f[c] - lse)
		}
		w[y]++
	}
	x.SetWeights(s.w[:nc])
	top.m.FreeEnergyGrad(x, top.feIn, -1/float64(n), t.topG)
	x.SetWeights(nil)
	top.m.Mean(x, top.hid, 1, s.hid[:nc*top.nhid])
	copy(layers[top.hid].Data, s.hid[:nc*top.nhid])
	a := s.field[:nc*top.nin]
	top.m.Field(x, top.in, a, nil)
	g := s.grad[:n*top.nin]
	clear(g)
	for r := range n {
		gr := g[r*top.nin : (r+1)*top.nin]
		for c := range C {
			ch := r*C + c
			w := s.w[ch]
			for i, ai := range a[ch*top.nin : (ch+1)*top.nin] {
				gr[i] -= w * ai
			}
		}
	}
	return loss
}

// lowerGradient takes ∂L_r/∂μ_{k+1} from s.grad, adds recognition model k's
// part of −∂L/∂θ and, for k > 0, leaves ∂L_r/∂μ_k in s.grad.
func (t *DBNBackprop) lowerGradient(k, n int, s *dbnBackpropScratch) {
	lv := t.d.recog(k)
	x := s.low[k]
	mu := s.mu[k+1]
	delta := s.delta[:n*lv.nhid]
	for i, m := range mu[:n*lv.nhid] {
		delta[i] = s.grad[i] * m * (1 - m)
	}
	inv := 1 / float64(n)
	layers := s.lowLayers[k]
	copy(layers[lv.in].Data, s.mu[k][:n*lv.nin])
	copy(layers[lv.hid].Data, delta)
	lv.m.EnergyGrad(x, inv, t.lowG[k])
	if k > 0 {
		lv.m.Field(x, lv.in, s.field[:n*lv.nin], nil)
	}
	clear(layers[lv.hid].Data)
	lv.m.EnergyGrad(x, -inv, t.lowG[k])
	if k == 0 {
		return
	}
	lv.m.Field(x, lv.in, s.field0[:n*lv.nin], nil)
	for i := range n * lv.nin {
		s.grad[i] = s.field[i] - s.field0[i]
	}
}

// dbnLabel returns the class of a one-hot row (the first largest entry).
func dbnLabel(y []float64) int {
	best := 0
	for c, v := range y {
		if v > y[best] {
			best = c
		}
	}
	return best
}

var _ runtime.Trainer = (*DBNBackprop)(nil)
