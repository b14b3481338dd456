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
	cfg  DBNBackpropConfig
	opt  []runtime.SGD // per trained parameter, the learning rate times its rate
	lowG [][]runtime.Tensor
	topG []runtime.Tensor
	// lowHid[k] marks the parameters of lower model k that appear only in
	// terms with its hidden layer (the others appear only in terms without
	// it, and their part of −∂L/∂θ is 0: lowerGradient); nil when a
	// parameter appears in both kinds.
	lowHid [][]bool
	// split: the top model's terms let the label copies share their input
	// (dbnLabelSplit), and topGradient takes the shared path.
	split   bool
	ws      *runtime.Workspace // the per-row loops, the clears and the updates
	rows    dbnRowsTask
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

	// The shared path (DBNBackprop.split); top is nil there.
	in, lab, gb    runtime.Chains // n chains (μ_r, y = 0); C + 1 chains (0, e_c) and (0, 0); the gradient's n + C + 2 chains
	inL, labL, gbL []runtime.Tensor
	a1, a2         []float64 // fields of h of in (n rows) and of lab (C + 1 rows)
	fLab           []float64 // free energies of lab
	r2             []float64 // E(0, e_c, h = 0) of each class c
	loss           []float64 // −log p(y_r | v_r) of each row
	om             []float64 // ω_r − 1 of each row
	gw             []float64 // weights of the gradient chains
	wcol           []float64 // the weights w_rc of one class c, n values
	aIn            []float64 // fields of the input layer of in (n rows) and of lab (C + 1 rows)
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
	for k := range d.gen[:len(d.gen)-1] {
		t.lowHid = append(t.lowHid, dbnParamsWith(d.recog(k)))
	}
	t.split = dbnLabelSplit(top)
	t.ws = runtime.NewWorkspace(0)
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
	C := top.classes
	nc := n * C
	s := &dbnBackpropScratch{
		f: make([]float64, nc), w: make([]float64, nc),
		hid: make([]float64, nc*top.nhid),
	}
	width := nc * top.nin
	if t.split {
		width = (n + C + 1) * top.nin
		s.in, s.lab, s.gb = top.m.NewChains(n, 1), top.m.NewChains(C+1, 2), top.m.NewChains(n+C+2, 3)
		s.inL, s.labL, s.gbL = s.in.Layers(), s.lab.Layers(), s.gb.Layers()
		s.a1, s.a2 = make([]float64, n*top.nhid), make([]float64, (C+1)*top.nhid)
		s.fLab, s.r2, s.loss, s.om = make([]float64, C+1), make([]float64, C), make([]float64, n), make([]float64, n)
		s.gw, s.wcol = make([]float64, n+C+2), make([]float64, n)
		s.aIn = make([]float64, (n+C+1)*top.nin)
		// The chains' inputs that stay 0: the label of in, the input of
		// lab, the labels but those of the C classes' chains of lab and gb
		// (and of gb's last chain, set at each step), the input of gb's
		// chains n … n + C, the hidden layer of gb's last chain.
		clear(s.inL[top.label].Data)
		clear(s.labL[top.in].Data)
		clear(s.gbL[top.in].Data[n*top.nin : (n+C+1)*top.nin])
		clear(s.gbL[top.hid].Data[(n+C+1)*top.nhid:])
		ylab, ygb := s.labL[top.label].Data, s.gbL[top.label].Data
		clear(ylab)
		clear(ygb)
		for c := range C {
			ylab[c*C+c] = 1
			ygb[(n+c)*C+c] = 1
		}
	} else {
		s.top = top.m.NewChains(nc, 1)
		s.topLayers = s.top.Layers()
	}
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
		t.ws.Update(&t.opt[i], p.Data, t.grads[i].Data, t.vel[i].Data, epoch)
		t.opt[i].ConstrainTensor(p, t.norms)
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
			t.ws.Clear(g.Data)
		}
	}
	for _, g := range t.topG {
		t.ws.Clear(g.Data)
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
	var loss float64
	if t.split {
		loss = t.topGradientSplit(batch, n, s)
	} else {
		loss = t.topGradient(batch, n, s)
	}
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
	// The hidden means once, for the gradient and the input layer's field:
	// E is affine in the hidden units, so ∂F/∂θ = ∂E/∂θ at the means, as
	// the generated FreeEnergyGrad computes it from the same means.
	top.m.Mean(x, top.hid, 1, s.hid[:nc*top.nhid])
	copy(layers[top.hid].Data, s.hid[:nc*top.nhid])
	x.SetWeights(s.w[:nc])
	top.m.EnergyGrad(x, -1/float64(n), t.topG)
	x.SetWeights(nil)
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
	// −(∂E(v, δ)/∂θ − ∂E(v, 0)/∂θ): a parameter outside every term with the
	// hidden layer gets the same part from both, so its difference is 0;
	// the others get nothing from ∂E(v, 0)/∂θ. A parameter in both kinds
	// of terms needs the second gradient.
	if with := t.lowHid[k]; with == nil {
		lv.m.EnergyGrad(x, -inv, t.lowG[k])
	} else {
		for i, w := range with {
			if !w {
				clear(t.lowG[k][i].Data)
			}
		}
	}
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

// dbnParamsWith reports, for each parameter of lv's model, whether it
// appears only in terms of the energy that hold the hidden layer (true) or
// only in terms without it (false); nil when some parameter appears in both.
func dbnParamsWith(lv *dbnLevel) []bool {
	with := make([]bool, len(lv.m.Params()))
	seen := make([]int, len(with)) // bit 0: a term with the hidden layer, bit 1: one without
	for _, term := range lv.m.Terms() {
		bit := 2
		if slices.Contains(term.Layers, lv.hid) {
			bit = 1
		}
		for _, p := range term.Params {
			seen[p] |= bit
		}
	}
	for p, b := range seen {
		if b == 3 {
			return nil
		}
		with[p] = b == 1
	}
	return with
}

// dbnLabelSplit reports whether the top model's energy lets the C label
// copies of a row share its input: hidden units bernoulli, and every term
// a product of distinct layers, each to the power 1, none holding both the
// input layer and the label. The energy is then
//
//	E(v, y, h) = A(v) + B(y) + Σ_j h_j·(−a_j(v, y)),  a(v, y) = a(v, 0) + a(0, y) − a(0, 0),
//
// with the field a of h affine in v and in y, and the field of the input
// layer affine in h and free of v and y.
func dbnLabelSplit(top *dbnLevel) bool {
	if top.m.Layers()[top.hid].Kind != runtime.KindBernoulli {
		return false
	}
	for _, term := range top.m.Terms() {
		if len(term.Layers) == 0 || slices.Contains(term.Layers, top.in) && slices.Contains(term.Layers, top.label) {
			return false
		}
		for i, l := range term.Layers {
			if term.Powers[i] != 1 || slices.Contains(term.Layers[:i], l) {
				return false
			}
		}
	}
	return true
}

// topGradientSplit is topGradient for a top model whose label copies share
// their input (dbnLabelSplit): the products run over n + C + 1 and
// n + C + 2 chains instead of n·C. With a1_r = a(μ_r, 0), a2_c = a(0, e_c)
// and a0 = a(0, 0), the fields of h of copy (r, c) are
// a_rc = a1_r + a2_c − a0, and its free energy
//
//	F(μ_r, e_c) = A(μ_r) − A(0) + E(0, e_c, 0) − Σ_j softplus(a_rcj),  E(0, e_c, 0) = F(0, e_c) + Σ_j softplus(a2_cj),
//
// whose first difference is the same for every c and cancels from
// p(y | v) and from the loss. With the hidden means m_rc = σ(a_rc), the
// loss weights w_rc = [c = y_r] − p(c | v_r), g_r = Σ_c w_rc m_rc,
// q_c = Σ_r w_rc m_rc, ω_r = Σ_c w_rc and s_c = Σ_r w_rc, the weighted sum
// Σ_rc w_rc ∂F(μ_r, e_c)/∂θ is, term by term (each term the product of
// its layers), ∂E/∂θ summed over the 2n + 2C + 1 chains
//
//	(μ_r, 0, g_r) weight 1,  (μ_r, 0, 0) weight ω_r − 1,
//	(0, e_c, q_c) weight 1,  (0, e_c, 0) weight s_c − 1,  (0, 0, Σ_c q_c) weight −1.
//
// The chains with h = 0 add nothing to the terms that hold h, and a term
// without h holds v alone or y alone, to the power 1, so it is linear in
// its layer: their n + C chains add up to the single chain
// (Σ_r (ω_r − 1)·μ_r, Σ_c (s_c − 1)·e_c, 0) of weight 1, and the gradient
// runs over the n + C + 2 chains
//
//	(μ_r, 0, g_r), (0, e_c, q_c), (0, 0, Σ_c q_c), (Σ_r (ω_r − 1)·μ_r, Σ_c (s_c − 1)·e_c, 0)
//
// with weights 1, 1, −1 and 1 — half the rows of the 2n + 2C + 1 in the
// products of the weights' gradients;
// and, a_in the field of the input layer (affine in h),
// Σ_c w_rc a_in(m_rc) = a_in(g_r) + (ω_r − 1)·a_in(0).
func (t *DBNBackprop) topGradientSplit(batch []float64, n int, s *dbnBackpropScratch) float64 {
	d, top := t.d, t.d.top()
	C, nj, nt, last := top.classes, top.nhid, top.nin, len(d.gen)-1
	mu := s.mu[last][:n*nt]
	copy(s.inL[top.in].Data, mu)
	top.m.Field(s.in, top.hid, s.a1, nil)
	top.m.Field(s.lab, top.hid, s.a2, nil)
	top.m.FreeEnergy(s.lab, top.feIn, 1, s.fLab)
	for c := range C {
		s.r2[c] = s.fLab[c] + runtime.SoftplusSum(s.a2[c*nj:(c+1)*nj], 1)
	}
	// Per row: the copies' fields, free energies, means and loss weights,
	// the loss, g_r (into the gradient chains' first n rows) and ω_r − 1.
	t.rows = dbnRowsTask{t: t, s: s, batch: batch}
	t.ws.ForRange(n, 16*C*nj, &t.rows)
	t.rows = dbnRowsTask{}
	loss := 0.0
	for _, l := range s.loss[:n] {
		loss += l
	}
	gV, gH, gY := s.gbL[top.in].Data, s.gbL[top.hid].Data, s.gbL[top.label].Data
	copy(gV[:n*nt], mu)
	sum := gH[(n+C)*nj : (n+C+1)*nj]
	clear(sum)
	yLast := gY[(n+C+1)*C : (n+C+2)*C]
	for c := range C {
		sc := 0.0
		for r := range n {
			s.wcol[r] = s.w[r*C+c]
			sc += s.wcol[r]
		}
		q := gH[(n+c)*nj : (n+c+1)*nj]
		clear(q)
		t.ws.AddRows(q, s.wcol, s.hid[c*nj:], n, nj, C*nj, 1)
		runtime.Axpy(1, q, sum)
		s.gw[n+c] = 1
		yLast[c] = sc - 1
	}
	vLast := gV[(n+C+1)*nt : (n+C+2)*nt]
	clear(vLast)
	runtime.AddRows(vLast, s.om[:n], mu, n, nt, nt, 1)
	for r := range n {
		s.gw[r] = 1
	}
	s.gw[n+C], s.gw[n+C+1] = -1, 1
	s.gb.SetWeights(s.gw)
	top.m.EnergyGrad(s.gb, -1/float64(n), t.topG)
	s.gb.SetWeights(nil)
	// ∂L_r/∂μ_r = −Σ_c w_rc a_in(m_rc) = −(a_in(g_r) + (ω_r − 1)·a_in(0)).
	copy(s.inL[top.hid].Data, gH[:n*nj])
	clear(s.labL[top.hid].Data)
	top.m.Field(s.in, top.in, s.aIn[:n*nt], nil)
	top.m.Field(s.lab, top.in, s.aIn[n*nt:(n+C+1)*nt], nil)
	a0 := s.aIn[(n+C)*nt : (n+C+1)*nt]
	g := s.grad[:n*nt]
	for r := range n {
		om1, ar, gr := s.om[r], s.aIn[r*nt:(r+1)*nt], g[r*nt:(r+1)*nt]
		for i := range gr {
			gr[i] = -(ar[i] + om1*a0[i])
		}
	}
	return loss
}

// dbnRowsTask is the per-row loop of topGradientSplit over rows lo…hi−1.
type dbnRowsTask struct {
	t     *DBNBackprop
	s     *dbnBackpropScratch
	batch []float64
}

func (rt *dbnRowsTask) RunRange(lo, hi int) {
	t, s := rt.t, rt.s
	top := t.d.top()
	C, nj := top.classes, top.nhid
	nin0, width := t.d.gen[0].nin, t.VisibleSize()
	a0 := s.a2[C*nj : (C+1)*nj]
	gH := s.gbL[top.hid].Data
	for r := lo; r < hi; r++ {
		a1 := s.a1[r*nj : (r+1)*nj]
		f, w := s.f[r*C:(r+1)*C], s.w[r*C:(r+1)*C]
		for c := range C {
			m := s.hid[(r*C+c)*nj : (r*C+c+1)*nj]
			a2 := s.a2[c*nj : (c+1)*nj]
			for j := range m {
				m[j] = a1[j] + a2[j] - a0[j]
			}
			f[c] = s.r2[c] - runtime.SoftplusSum(m, 1)
			runtime.Sigmoids(m, m, 1)
		}
		y := dbnLabel(rt.batch[r*width+nin0 : r*width+nin0+C])
		for c := range C {
			w[c] = -f[c]
		}
		lse := runtime.LogSumExp(w)
		s.loss[r] = f[y] + lse
		for c := range C {
			w[c] = -math.Exp(-f[c] - lse)
		}
		w[y]++
		om := 0.0
		for _, v := range w {
			om += v
		}
		s.om[r] = om - 1
		g := gH[r*nj : (r+1)*nj]
		clear(g)
		runtime.AddRows(g, w, s.hid[r*C*nj:], C, nj, nj, 1)
	}
}
