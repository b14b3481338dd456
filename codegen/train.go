package codegen

import (
	"fmt"
	"strings"

	"github.com/ebmc/ebmc/ir"
)

// outerProduct writes θ += c·scale·(W·A·diag f)ᵀ·(B·diag g) for the batch,
// W the chains' weights: A scaled into x.save, B into x.mvIn when needed.
func (g *gen) outerProduct(o *ir.Outer, q *ir.Param) {
	p := g.p
	em := g.emitter()
	A, B := "x."+g.L(o.A), "x."+g.L(o.B)
	p.P("{")
	fa := "nil"
	if !o.FA.Empty() {
		p.Pf("fa := x.mvCol[:%d]", o.A.Size)
		p.Pf("for s := range fa { fa[s] = %s }", scalingCode(em, o.FA, o.IA, "s"))
		fa = "fa"
	}
	p.Pf("a := %s", A)
	if fa != "nil" {
		p.Pf("a = runtime.ScaleMatrix(x.save, %s, x.N, %d, x.weight, fa)", A, o.A.Size)
	} else {
		p.Pf("if x.weight != nil { a = runtime.ScaleMatrix(x.save, %s, x.N, %d, x.weight, nil) }", A, o.A.Size)
	}
	b := B
	if !o.FB.Empty() {
		p.Pf("fb := x.mvRow[:%d]", o.B.Size)
		p.Pf("for s := range fb { fb[s] = %s }", scalingCode(em, o.FB, o.IB, "s"))
		p.Pf("b := runtime.ScaleMatrix(x.mvIn, %s, x.N, %d, nil, fb)", B, o.B.Size)
		b = "b"
	}
	p.Pf("x.Workspace.Gemm(true, false, %d, %d, x.N, %s*scale, a, %d, %s, %d, 1, dst.%s, %d)",
		o.A.Size, o.B.Size, literal(o.Coef), o.A.Size, b, o.B.Size, g.P(q), o.B.Size)
	p.P("}")
}

// energyGrad writes EnergyGrad.
func (g *gen) energyGrad() {
	p := g.p
	var docs []string
	for _, gr := range g.m.Gradients {
		docs = append(docs, "\t"+gr.String())
	}
	p.Pf("// EnergyGrad adds scale·Σ_chains ∂E/∂θ into the trained parameters of dst:")
	p.P("//")
	for _, d := range docs {
		p.P("//", d)
	}
	p.P("//")
	p.P("// A gaussian unit's square reads x² + x.var, so that chains holding")
	p.P("// conditional means give the expected gradient. Chains given weights")
	p.P("// (SetWeights) count Weight[c] times each.")
	p.Pf("func (m *%s) EnergyGrad(x *%s, scale float64, dst *%s) {", g.T, g.C, g.T)
	used := map[*ir.Layer]bool{}
	var generic []*ir.GradPart
	var owners []*ir.Param
	weights := false
	for _, gr := range g.m.Gradients {
		for _, part := range gr.Parts {
			if o := part.Outer; o != nil {
				g.outerProduct(o, gr.Param)
				continue
			}
			if rs := part.RowSum; rs != nil {
				c, ly := rs.Coef, rs.Layer
				// θ[i] += c·scale·Σ_chains w_c·x_c[i]: the rows of the
				// layer summed, eight per pass.
				if !weights {
					p.P("w := x.weight")
					p.P("if w == nil {")
					p.P("w = x.ones")
					p.P("}")
					weights = true
				}
				p.Pf("x.Workspace.AddRows(dst.%s, w, x.%s, x.N, %d, %d, %s*scale)", g.P(gr.Param), g.L(ly), ly.Size, ly.Size, literal(c))
				continue
			}
			generic = append(generic, part)
			owners = append(owners, gr.Param)
			unitLayers(part.Units, used)
		}
	}
	if len(generic) > 0 {
		p.P("for ch := 0; ch < x.N; ch++ {")
		p.P("sc := scale")
		p.P("if x.weight != nil { sc *= x.weight[ch] }")
		g.rows(used, true)
		em := g.emitter()
		em.sq = func(u ir.UnitRef, off string) string {
			if u.Layer.Kind != ir.Gaussian {
				return fmt.Sprintf("row%s[%s]", g.L(u.Layer), off)
			}
			r := fmt.Sprintf("row%s[%s]", g.L(u.Layer), off)
			return fmt.Sprintf("(%s*%s + var%s[%s])", r, r, g.L(u.Layer), off)
		}
		for i, part := range generic {
			q := owners[i]
			em.emit(sum{Coef: part.Coef, Units: part.Units, Loop: part.Sum, Distinct: part.Distinct,
				Dst: "dst." + g.P(q), DstIndex: part.Wrt.Index, DstShape: q.Shape, Scale: "sc"})
		}
		for _, ly := range g.m.Layers {
			if used[ly] && ly.Kind == ir.Gaussian {
				p.Pf("_ = var%s", g.L(ly))
			}
		}
		p.P("}")
	}
	p.P("}")
	p.P()
}

// freeEnergyGrad writes FreeEnergyGradKEEP: the gradient of a free energy
// is the energy gradient with the summed-out layers at their conditional
// means (and second moments).
func (g *gen) freeEnergyGrad(fe *ir.FreeEnergy) {
	p := g.p
	name := "FreeEnergyGrad" + g.keepName(fe)
	p.Pf("// %s adds scale·Σ_chains ∂F/∂θ into dst, where F is the free energy with", name)
	p.Pf("// %s summed out: ∂F/∂θ = E_{p(%s | %s)}[∂E/∂θ]. It copies %s into mo, a", layerList(fe.SumOut), layerList(fe.SumOut), layerList(fe.Keep), layerList(fe.Keep))
	p.P("// scratch batch of the same capacity, and fills in the conditional means there.")
	p.Pf("func (m *%s) %s(x, mo *%s, scale float64, dst *%s) {", g.T, name, g.C, g.T)
	p.P("mo.N, mo.weight = x.N, x.weight")
	for _, ly := range fe.Keep {
		L := g.L(ly)
		p.Pf("copy(mo.%s[:x.N*%d], x.%s[:x.N*%d])", L, ly.Size, L, ly.Size)
		if ly.Kind == ir.Gaussian {
			p.Pf("clear(mo.var%s)", L)
		}
	}
	for _, ly := range fe.SumOut {
		p.Pf("m.setMean%s(mo, 1)", g.L(ly))
	}
	p.P("m.EnergyGrad(mo, scale, dst)")
	p.P("}")
	p.P()
}

// trainer writes the CD-k / PCD-k trainer.
func (g *gen) trainer() {
	p := g.p
	tr := g.T + "Trainer"
	fe := g.visibleFE()
	var visible []*ir.Layer
	for _, ly := range g.m.Layers {
		if ly.Visible {
			visible = append(visible, ly)
		}
	}
	vs := g.visibleSize()
	p.Pf("// %s trains %s by contrastive divergence (CD-k) or persistent", tr, g.T)
	p.P("// contrastive divergence (PCD-k, stochastic maximum likelihood), with the")
	p.P("// runtime's SGD. Each step ascends the log-likelihood gradient")
	p.P("//")
	p.P("//\tΔθ ∝ E_data[−∂F/∂θ] − E_model[−∂F/∂θ]")
	p.P("//")
	switch {
	case fe != nil:
		p.Pf("// where F is the free energy of the visible layers (%s summed out); the model", layerList(fe.SumOut))
		p.P("// expectation is taken over the negative chains after K Gibbs sweeps.")
	case g.hasHidden():
		p.P("// where the data expectation uses mean-field posteriors of the hidden layers")
		if negFE := g.negativeFE(); negFE != nil {
			p.P("// (variational learning) and the model expectation the negative chains,")
			p.Pf("// %s summed out given their %s (Rao–Blackwellized).", layerList(negFE.SumOut), layerList(negFE.Keep))
		} else {
			p.P("// (variational learning) and the model expectation uses the negative chains' samples.")
		}
	default:
		p.P("// with F = E (the model has no hidden layers).")
	}
	p.P("//")
	p.P("// A trainer belongs to one goroutine at a time (train several models")
	p.P("// concurrently with one trainer each).")
	p.Pf("type %s struct {", tr)
	p.Pf("Model *%s", g.T)
	p.P("cfg runtime.CDConfig")
	p.Pf("data, neg, mo *%s", g.C)
	p.Pf("grad, vel *%s", g.T)
	p.P("grads []runtime.Tensor // views of grad in Params order, for CDConfig.Transform")
	p.P("positive []runtime.Tensor // views of the positive phase's layers, for CDConfig.Transform")
	p.P("rng runtime.StreamState // the negative chains' random streams (the source of truth between steps)")
	p.P("opt []runtime.SGD // the optimizer of each trained parameter, with its rate")
	p.P("recon []float64")
	if n := g.maxFanIn(); n > 0 {
		p.P("norms []float64 // scratch of the max-norm constraint: one column norm per unit")
	}
	if fe == nil && g.hasHidden() {
		p.P("mfSweeps, mfSteps int // the positive phase's mean-field sweeps, and the steps that ran them")
	}
	p.P("}")
	p.P()
	p.Pf("// New%s returns a trainer for m; it allocates everything a step needs.", tr)
	p.Pf("func New%s(m *%s, cfg runtime.CDConfig) (*%s, error) {", tr, g.T, tr)
	var trained []string
	for _, gr := range g.m.Gradients {
		trained = append(trained, fmt.Sprintf("%q", gr.Param.Name))
	}
	p.Pf("cfg, chains, opt, err := cfg.Prepare(%q, []string{%s})", g.m.Name, strings.Join(trained, ", "))
	p.P("if err != nil {")
	p.P("return nil, err")
	p.P("}")
	p.P("// One workspace serves the three batches: the idle workers of separate")
	p.P("// workspaces would spin on the cores the busy one needs.")
	p.Pf("data := New%s(cfg.BatchSize, cfg.Seed^0x9e3779b97f4a7c15)", g.C)
	p.P("if cfg.Float32 {")
	p.P("data.Workspace.SetFloat32(true) // Prepare checked the CPU")
	p.P("}")
	p.Pf("t := &%s{Model: m, cfg: cfg, opt: opt,", tr)
	p.P("data: data,")
	p.Pf("neg: new%s(chains, cfg.Seed, data.Workspace),", g.C)
	p.Pf("mo: new%s(max(chains, cfg.BatchSize), cfg.Seed, data.Workspace),", g.C)
	p.Pf("grad: Zero%s(), vel: Zero%s(),", g.T, g.T)
	p.Pf("recon: make([]float64, cfg.BatchSize*%d),", g.maxLayer())
	if n := g.maxFanIn(); n > 0 {
		p.Pf("norms: make([]float64, %d),", n)
	}
	p.P("}")
	p.P("t.grads = t.grad.Params()")
	// The positive phase leaves the data and the hidden layers' means in
	// t.mo when it sums them out of a free energy, in t.data after mean field.
	positive := "t.data"
	if fe != nil {
		positive = "t.mo"
	}
	p.Pf("t.positive = %s.Layers() // at full capacity: Observe reads the first rows", positive)
	p.P("t.rng = runtime.NewStreamState(t.neg.RNG, 8)")
	p.P("return t, nil")
	p.P("}")
	p.P()
	p.P("// ModelName returns the model's name.")
	p.Pf("func (t *%s) ModelName() string { return t.Model.ModelName() }", tr)
	p.P()
	p.P("// Params returns the model's parameters.")
	p.Pf("func (t *%s) Params() []runtime.Tensor { return t.Model.Params() }", tr)
	p.P()
	p.Pf("// VisibleSize is the width of a data row: %s, in declaration order.", layerList(visible))
	p.Pf("func (t *%s) VisibleSize() int { return %d }", tr, vs)
	p.P()
	p.P("// Workspace returns the workspace that runs the products of every batch")
	p.P("// of the trainer (for its threads, or SetFloat32).")
	p.Pf("func (t *%s) Workspace() *runtime.Workspace { return t.data.Workspace }", tr)
	p.P()
	if fe == nil && g.hasHidden() {
		p.P("// MeanFieldSweeps returns the mean-field sweeps the positive phase has run")
		p.P("// over all TrainStep calls so far and the number of those calls: their")
		p.P("// ratio is the mean sweeps per minibatch (runtime.MeanFieldCounter), each")
		p.P("// as MeanFieldFrom returns it — at most CDConfig.MeanFieldIters, fewer")
		p.P("// when no mean moved more than CDConfig.MeanFieldTol.")
		p.Pf("func (t *%s) MeanFieldSweeps() (sweeps, steps int) { return t.mfSweeps, t.mfSteps }", tr)
		p.P()
	}
	p.P("// MaxBatch is the largest number of rows TrainStep accepts: CDConfig.BatchSize.")
	p.Pf("func (t *%s) MaxBatch() int { return t.cfg.BatchSize }", tr)
	p.P()
	p.P("// Reflect returns the trained model's runtime.Reflective, through which")
	p.P("// training.Fit (runtime/training) sees its unit kinds.")
	p.Pf("func (t *%s) Reflect() runtime.Reflective { return t.Model.Reflect() }", tr)
	p.P()
	p.P("// State returns what resuming needs besides the parameters: the optimizer's")
	p.P("// velocities, with PCD the persistent chains, the random streams of the")
	p.P("// negative chains, which CD's sweeps draw from too, and CDConfig.Transform's state.")
	p.Pf("func (t *%s) State() []runtime.Tensor {", tr)
	p.P("var s []runtime.Tensor")
	for _, gr := range g.m.Gradients {
		q := gr.Param
		p.Pf("s = append(s, runtime.Tensor{Name: \"velocity.%s\", Shape: []int{%s}, Data: t.vel.%s})", q.Name, intList(q.Shape), g.P(q))
	}
	p.P("if t.cfg.Persistent {")
	for _, ly := range g.m.Layers {
		p.Pf("s = append(s, runtime.Tensor{Name: \"chain.%s\", Shape: []int{len(t.neg.%s) / %d, %d}, Data: t.neg.%s})", ly.Name, g.L(ly), ly.Size, ly.Size, g.L(ly))
	}
	p.P("}")
	p.P("s = append(s, t.rng.Tensor())")
	p.P("if tf := t.cfg.Transform; tf != nil {")
	p.P("s = append(s, tf.State()...)")
	p.P("}")
	p.P("return s")
	p.P("}")
	p.P()
	p.P("// TrainStep does one update on a minibatch of rows data rows (row-major,")
	p.P("// rows × VisibleSize, rows at most MaxBatch) and returns the batch's summed")
	p.P("// squared reconstruction error. It allocates nothing.")
	p.Pf("func (t *%s) TrainStep(batch []float64, rows int, epoch int) float64 {", tr)
	p.P("if rows > t.cfg.BatchSize {")
	p.Pf("panic(fmt.Sprintf(\"%s trainer: TrainStep got %%d rows, more than CDConfig.BatchSize %%d\", rows, t.cfg.BatchSize))", g.m.Name)
	p.P("}")
	p.P("m, d := t.Model, t.data")
	p.P("d.N = rows")
	p.P("t.rng.Load()")
	p.P("for r := 0; r < rows; r++ {")
	off := 0
	for _, ly := range visible {
		p.Pf("copy(d.%s[r*%d:(r+1)*%d], batch[r*%d+%d:r*%d+%d])", g.L(ly), ly.Size, ly.Size, vs, off, vs, off+ly.Size)
		off += ly.Size
	}
	p.P("}")
	for _, gr := range g.m.Gradients {
		p.Pf("d.Workspace.Clear(t.grad.%s)", g.P(gr.Param))
	}
	p.P("inv := 1 / float64(rows)")
	switch {
	case fe != nil:
		p.Pf("m.FreeEnergyGrad%s(d, t.mo, -inv, t.grad)", g.keepName(fe))
	case g.hasHidden():
		// The parameters stay fixed until the update: the products of mean
		// field's sweeps, the negative phase and the gradients pack each
		// weight matrix once per step (Hold) instead of once per product.
		p.P("m.Hold(d)")
		p.P("if guide := t.cfg.MeanFieldGuide; guide != nil {")
		p.P("guide.Guess(d)")
		p.P("t.mfSweeps += m.MeanFieldFrom(d, t.cfg.MeanFieldIters, t.cfg.MeanFieldTol, t.cfg.MeanFieldDamping)")
		p.P("guide.Learn(d, epoch)")
		p.P("} else {")
		p.P("t.mfSweeps += m.MeanField(d, t.cfg.MeanFieldIters, t.cfg.MeanFieldTol, t.cfg.MeanFieldDamping)")
		p.P("}")
		p.P("t.mfSteps++")
		p.P("m.EnergyGrad(d, -inv, t.grad)")
	default:
		p.P("m.EnergyGrad(d, -inv, t.grad)")
	}
	p.P("if tf := t.cfg.Transform; tf != nil {")
	p.P("tf.Observe(t.positive, rows)")
	p.P("}")
	p.P("recon := 0.0")
	if fe != nil || g.hasHidden() {
		// PCD's reconstruction: the visible means given the data's hidden
		// means (in t.mo, or in d after mean field).
		means := "d"
		if fe != nil {
			means = "t.mo"
		}
		p.P("if t.cfg.Persistent {")
		p.P("nr := rows")
		p.P("if t.cfg.ReconRows > 0 && t.cfg.ReconRows < rows {")
		p.P("nr = t.cfg.ReconRows")
		p.P("}")
		p.Pf("%s.N = nr", means)
		for _, ly := range visible {
			L := g.L(ly)
			p.Pf("m.Mean%s(%s, 1, t.recon)", L, means)
			p.Pf("for k, v := range d.%s[:nr*%d] {", L, ly.Size)
			p.P("recon += (v - t.recon[k]) * (v - t.recon[k])")
			p.P("}")
		}
		p.Pf("%s.N = rows", means)
		p.P("recon *= float64(rows) / float64(nr)")
		p.P("}")
	}
	p.P("neg := t.neg")
	p.P("if !t.cfg.Persistent {")
	p.P("neg.N = rows")
	for _, ly := range g.m.Layers {
		p.Pf("copy(neg.%s[:rows*%d], d.%s[:rows*%d])", g.L(ly), ly.Size, g.L(ly), ly.Size)
	}
	p.P("}")
	if fe != nil && sameLayers(fe.SumOut, g.m.Schedule[0].Layers) {
		// CD: the first block given the data has the distribution whose means
		// the positive phase left in t.mo; draw it from them and go on.
		p.P("first := 0")
		p.P("if !t.cfg.Persistent {")
		for _, ly := range fe.SumOut {
			p.Pf("m.draw%s(neg, t.mo)", g.L(ly))
		}
		p.P("first = 1")
		p.P("}")
		p.P("k := t.cfg.Steps(epoch)")
		p.P("for s := 0; s < k; s++ {")
		p.P("m.sweepFrom(neg, 1, nil, t.cfg.MeanVisible && !t.cfg.Persistent && s == k-1, first)")
		p.P("first = 0")
		p.P("}")
		for _, ly := range fe.SumOut {
			g.drawFromMeans(ly)
		}
	} else {
		p.P("k := t.cfg.Steps(epoch)")
		p.P("for s := 0; s < k; s++ {")
		p.P("m.sweep(neg, 1, nil, t.cfg.MeanVisible && !t.cfg.Persistent && s == k-1)")
		p.P("}")
	}
	switch negFE := g.negativeFE(); {
	case fe != nil:
		p.Pf("m.FreeEnergyGrad%s(neg, t.mo, 1/float64(neg.N), t.grad)", g.keepName(fe))
	case negFE != nil:
		p.Pf("// The model's statistics with %s summed out given the chains' %s:", layerList(negFE.SumOut), layerList(negFE.Keep))
		p.P("// the same expectation as at the chains' states, with less variance.")
		p.Pf("m.FreeEnergyGrad%s(neg, t.mo, 1/float64(neg.N), t.grad)", g.keepName(negFE))
	default:
		p.P("m.EnergyGrad(neg, 1/float64(neg.N), t.grad)")
	}
	if g.hasHidden() {
		p.P("if !t.cfg.Persistent {")
		for _, ly := range visible {
			L := g.L(ly)
			p.Pf("for k, v := range d.%s[:rows*%d] {", L, ly.Size)
			p.Pf("recon += (v - neg.%s[k]) * (v - neg.%s[k])", L, L)
			p.P("}")
		}
		p.P("}")
	}
	if fe == nil && g.hasHidden() {
		p.P("d.Workspace.Release()")
	}
	p.P("if tf := t.cfg.Transform; tf != nil {")
	p.P("tf.Transform(t.grads, epoch)")
	p.P("}")
	for i, gr := range g.m.Gradients {
		q := g.P(gr.Param)
		p.Pf("d.Workspace.Update(&t.opt[%d], m.%s, t.grad.%s, t.vel.%s, epoch)", i, q, q, q)
		if sh := gr.Param.Shape; len(sh) >= 2 {
			p.Pf("t.opt[%d].Constrain(m.%s, %d, t.norms)", i, q, sh[len(sh)-1])
		}
	}
	p.P("t.rng.Save()")
	p.P("return recon")
	p.P("}")
	p.P()
	p.Pf("var _ runtime.Trainer = (*%s)(nil)", tr)
	p.P()
}

// maxFanIn is the largest last dimension of a trained parameter of rank ≥ 2:
// the length of the scratch SGD.Constrain needs (0 if no parameter has one).
func (g *gen) maxFanIn() int {
	n := 0
	for _, gr := range g.m.Gradients {
		if sh := gr.Param.Shape; len(sh) >= 2 {
			n = max(n, sh[len(sh)-1])
		}
	}
	return n
}

func sameLayers(a, b []*ir.Layer) bool {
	if len(a) != len(b) {
		return false
	}
	for _, ly := range a {
		found := false
		for _, other := range b {
			found = found || other == ly
		}
		if !found {
			return false
		}
	}
	return true
}

// drawFromMeans queues drawL: it samples a layer of x from the conditional
// means (and variances) that setMeanL left in mo.
func (g *gen) drawFromMeans(ly *ir.Layer) {
	g.deferred = append(g.deferred, func() {
		p := g.p
		L, S := g.L(ly), ly.Size
		p.Pf("// draw%s samples %s of x from the conditional means (and variances) held in mo.", L, ly.Name)
		p.Pf("func (m *%s) draw%s(x, mo *%s) {", g.T, L, g.C)
		switch ly.Kind {
		case ir.Bernoulli:
			p.Pf("copy(x.%s[:x.N*%d], mo.%s[:x.N*%d])", L, S, L, S)
			p.Pf("runtime.BernoulliRows(x.RNG[:x.N], x.%s[:x.N*%d], %d)", L, S, S)
			p.P("}")
			p.P()
			return
		case ir.Spin:
			p.Pf("for k, mu := range mo.%s[:x.N*%d] {", L, S)
			p.Pf("x.%s[k] = (1 + mu) / 2", L)
			p.P("}")
			p.Pf("runtime.SpinRows(x.RNG[:x.N], x.%s[:x.N*%d], %d)", L, S, S)
			p.P("}")
			p.P()
			return
		}
		p.P("for ch := 0; ch < x.N; ch++ {")
		p.P("rng := &x.RNG[ch]")
		p.Pf("row := x.%s[ch*%d : ch*%d+%d]", L, S, S, S)
		p.Pf("mu := mo.%s[ch*%d : ch*%d+%d]", L, S, S, S)
		switch ly.Kind {
		case ir.Gaussian:
			p.Pf("vr := mo.var%s[ch*%d : ch*%d+%d]", L, S, S, S)
			p.P("for k := range row {")
			p.P("row[k] = mu[k] + math.Sqrt(vr[k])*rng.Normal()")
			p.P("}")
		case ir.Softmax:
			K := ly.Categories()
			p.Pf("for grp := 0; grp < %d; grp++ {", ly.Groups())
			p.Pf("c := rng.Categorical(mu[grp*%d : grp*%d+%d])", K, K, K)
			p.Pf("clear(row[grp*%d : grp*%d+%d])", K, K, K)
			p.Pf("row[grp*%d+c] = 1", K)
			p.P("}")
		}
		p.P("}")
		p.P("}")
		p.P()
	})
}
