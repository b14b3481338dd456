package codegen

import (
	"fmt"
	"strings"

	"github.com/ebmc/ebmc/ir"
)

func (g *gen) paramsType() {
	p := g.p
	p.Doc(fmt.Sprintf("%s holds the parameters of model %s, each a flat row-major slice.\n\nEnergy:\n\n\tE = %s", g.T, g.m.Name, g.m.String()))
	p.Pf("type %s struct {", g.T)
	for _, q := range g.m.Params {
		role := "trained"
		if q.Fixed {
			role = "fixed"
		}
		shape := shapeString(q.Shape)
		if shape == "" {
			shape = "scalar"
		}
		p.Pf("%s []float64 // %s: %s, %s, %s", g.P(q), q.Name, shape, role, initDoc(q.Init))
	}
	p.P("}")
	p.P()
	p.Pf("// New%s returns the model with parameters drawn from the declared initializers.", g.T)
	p.Pf("func New%s(seed uint64) *%s {", g.T, g.T)
	p.Pf("m := Zero%s()", g.T)
	p.P("m.Init(seed)")
	p.P("return m")
	p.P("}")
	p.P()
	p.Pf("// Zero%s returns the model with every parameter zero (storage for gradients, too).", g.T)
	p.Pf("func Zero%s() *%s {", g.T, g.T)
	p.Pf("return &%s{", g.T)
	for _, q := range g.m.Params {
		p.Pf("%s: make([]float64, %d),", g.P(q), q.Size)
	}
	p.P("}")
	p.P("}")
	p.P()
	p.P("// Init sets every parameter from its declared initializer; each parameter")
	p.P("// draws from its own random stream, so the values do not depend on the others' sizes.")
	p.Pf("func (m *%s) Init(seed uint64) {", g.T)
	for _, q := range g.m.Params {
		f := g.P(q)
		switch q.Init.Kind {
		case ir.InitZeros:
			p.Pf("clear(m.%s)", f)
		case ir.InitConstant:
			p.Pf("for k := range m.%s {", f)
			p.Pf("m.%s[k] = %s", f, literal(q.Init.A))
			p.P("}")
		case ir.InitNormal, ir.InitUniform:
			p.Pf("rng%s := runtime.NewRNG(seed, %d)", f, q.Index+1)
			p.Pf("for k := range m.%s {", f)
			if q.Init.Kind == ir.InitNormal {
				p.Pf("m.%s[k] = %s + %s*rng%s.Normal()", f, literal(q.Init.A), literal(q.Init.B), f)
			} else {
				p.Pf("m.%s[k] = %s + %s*rng%s.Float64()", f, literal(q.Init.A), literal(q.Init.B-q.Init.A), f)
			}
			p.P("}")
		}
	}
	p.P("}")
	p.P()
	p.P("// ModelName returns the model's declared name.")
	p.Pf("func (m *%s) ModelName() string { return %q }", g.T, g.m.Name)
	p.P()
	p.P("// Params returns views onto the parameters, in declaration order.")
	p.Pf("func (m *%s) Params() []runtime.Tensor {", g.T)
	p.P("return []runtime.Tensor{")
	for _, q := range g.m.Params {
		p.Pf("{Name: %q, Shape: []int{%s}, Data: m.%s, Fixed: %v},", q.Name, intList(q.Shape), g.P(q), q.Fixed)
	}
	p.P("}")
	p.P("}")
	p.P()
	p.Pf("var _ runtime.Model = (*%s)(nil)", g.T)
	p.P()
}

func initDoc(in ir.Init) string {
	switch in.Kind {
	case ir.InitConstant:
		return "initially " + literal(in.A)
	case ir.InitNormal:
		return fmt.Sprintf("initially N(%g, %g²)", in.A, in.B)
	case ir.InitUniform:
		return fmt.Sprintf("initially U(%g, %g)", in.A, in.B)
	}
	return "initially 0"
}

func intList(s []int) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}

// maxCategories is the largest softmax group, for scratch space.
func (g *gen) maxCategories() int {
	k := 0
	for _, ly := range g.m.Layers {
		if ly.Kind == ir.Softmax {
			k = max(k, ly.Categories())
		}
	}
	return k
}

func (g *gen) hasGaussian() bool {
	for _, ly := range g.m.Layers {
		if ly.Kind == ir.Gaussian {
			return true
		}
	}
	return false
}

func (g *gen) maxLayer() int {
	n := 0
	for _, ly := range g.m.Layers {
		n = max(n, ly.Size)
	}
	return n
}

func (g *gen) chainsType() {
	p := g.p
	p.Doc(fmt.Sprintf("%s is a batch of Markov chains (or of data rows) of %s: every unit's\nvalue for chains 0…N−1, row-major, and one random stream per chain.\n\n"+
		"A batch, and the workspace it runs on, belong to one goroutine at a time:\ngive each goroutine its own batch (New%s). Two goroutines running work on\none workspace at once panic with runtime.ErrConcurrentUse.", g.C, g.m.Name, g.C))
	p.Pf("type %s struct {", g.C)
	p.P("N int // chains in use, at most the capacity given to New", g.C)
	for _, ly := range g.m.Layers {
		role := "hidden"
		if ly.Visible {
			role = "visible"
		}
		p.Pf("%s []float64 // %s[%s] of chain c at [c*%d + unit], %s, %s", g.L(ly), ly.Name, shapeString(ly.Shape), ly.Size, role, ly.Kind.Info().Doc)
	}
	p.P("RNG []runtime.RNG")
	p.P("// Workspace runs the dense products (fields and gradients of whole batches);")
	p.P("// New" + g.C + " gives the chains one that uses every core. Batches used in turn")
	p.P("// by one goroutine may share one.")
	p.P("Workspace *runtime.Workspace")
	for _, ly := range g.m.Layers {
		if !ly.Visible {
			continue
		}
		p.Pf("// Base%s, when set, is the field a_A of a factorized base model over %s:", g.L(ly), ly.Name)
		p.Pf("// samplers then draw %s at field β·a + (1−β)·a_A, the tempered path of", ly.Name)
		p.P("// annealed importance sampling. Nil (the default) means no base model.")
		p.Pf("Base%s []float64", g.L(ly))
		if ly.Kind == ir.Gaussian {
			p.Pf("BasePrecision%s []float64 // the base model's precisions P_A: precision β·P + (1−β)·P_A", g.L(ly))
		}
	}
	p.P()
	for _, c := range g.m.Conditionals {
		if c.ClampedProducts() {
			p.Pf("fixed%s []float64 // the part of the fields of %s that the visible layers fix, during mean field", g.L(c.Layer), c.Layer.Name)
		}
	}
	for _, ly := range g.m.Layers {
		p.Pf("a%s []float64 // fields", g.L(ly))
		if ly.Kind == ir.Gaussian {
			p.Pf("p%s, var%s []float64 // precisions; variances of means (zero for samples)", g.L(ly), g.L(ly))
		}
	}
	p.P("prob []float64 // one softmax group")
	p.P("save []float64 // clamped units during a sweep, the old state during a Metropolis move, weighted rows in EnergyGrad, a softmax group's probabilities in a site-by-site draw")
	p.P("weight []float64 // per-chain weights of the gradients; nil means 1")
	p.P("ones   []float64 // n ones: the weights when weight is nil")
	p.P("fresh  uint64    // layers (bit i: layer i) whose fields are current for their next sampler, set only within an annealing step")
	p.Pf("scratch *%s // conditional means for the generic free-energy gradient", g.C)
	p.Pf("task task%s // the per-chain loop the workspace is running", g.T)
	if g.scaledKernels() {
		p.P("mvIn, mvOut []float64 // scaled operands and results of products with parameter-dependent scales")
		p.P("mvRow, mvCol []float64 // the scales")
	}
	if g.hasGaussian() {
		p.P("e0, e1      []float64 // energies before and after a move")
		p.P("grad, grad2 []float64 // input gradients before and after a Langevin move")
	}
	p.P("}")
	p.P()
	p.Pf("// New%s returns n chains with every unit drawn uniformly (gaussian units", g.C)
	p.P("// from N(0, 1)); chain c uses random stream (seed, c).")
	if g.opts.Float32 {
		p.P("// Their workspace runs the batched products in float32 (ebmc gen -float32,")
		p.P("// where the CPU has the kernels); x.Workspace.SetFloat32(false) restores float64.")
	}
	p.Pf("func New%s(n int, seed uint64) *%s {", g.C, g.C)
	p.P("ws := runtime.NewWorkspace(0)")
	if g.opts.Float32 {
		p.P("ws.SetFloat32(true)")
	}
	p.Pf("return new%s(n, seed, ws)", g.C)
	p.P("}")
	p.P()
	p.Pf("// new%s is New%s with its products run by ws, which the chains may", g.C, g.C)
	p.P("// share with other batches used in turn.")
	p.Pf("func new%s(n int, seed uint64, ws *runtime.Workspace) *%s {", g.C, g.C)
	p.Pf("x := &%s{N: n, RNG: make([]runtime.RNG, n), Workspace: ws, prob: make([]float64, %d), save: make([]float64, n*%d)}", g.C, max(1, g.maxCategories()), g.maxLayer())
	p.P("x.ones = make([]float64, n)")
	p.P("for c := range x.ones {")
	p.P("x.ones[c] = 1")
	p.P("}")
	if g.scaledKernels() {
		p.Pf("x.mvIn, x.mvOut = make([]float64, n*%d), make([]float64, n*%d)", g.maxLayer(), g.maxLayer())
		p.Pf("x.mvRow, x.mvCol = make([]float64, %d), make([]float64, %d)", g.maxLayer(), g.maxLayer())
	}
	if g.hasGaussian() {
		p.P("x.e0, x.e1 = make([]float64, n), make([]float64, n)")
		p.Pf("x.grad, x.grad2 = make([]float64, n*%d), make([]float64, n*%d)", g.maxLayer(), g.maxLayer())
	}
	for _, c := range g.m.Conditionals {
		if c.ClampedProducts() {
			p.Pf("x.fixed%s = make([]float64, n*%d)", g.L(c.Layer), c.Layer.Size)
		}
	}
	for _, ly := range g.m.Layers {
		p.Pf("x.%s = make([]float64, n*%d)", g.L(ly), ly.Size)
		p.Pf("x.a%s = make([]float64, n*%d)", g.L(ly), ly.Size)
		if ly.Kind == ir.Gaussian {
			p.Pf("x.p%s = make([]float64, n*%d)", g.L(ly), ly.Size)
			p.Pf("x.var%s = make([]float64, n*%d)", g.L(ly), ly.Size)
		}
	}
	p.P("for ch := range x.RNG {")
	p.P("x.RNG[ch] = runtime.NewRNG(seed, uint64(ch))")
	p.P("}")
	p.P("x.Randomize()")
	p.P("return x")
	p.P("}")
	p.P()
	p.P("// Randomize draws every unit of the chains in use uniformly (gaussian: N(0, 1)).")
	p.Pf("func (x *%s) Randomize() {", g.C)
	p.P("for ch := 0; ch < x.N; ch++ {")
	p.P("rng := &x.RNG[ch]")
	for _, ly := range g.m.Layers {
		L := g.L(ly)
		p.Pf("row%s := x.%s[ch*%d : ch*%d+%d]", L, L, ly.Size, ly.Size, ly.Size)
		switch ly.Kind {
		default:
			p.Pf("for k := range row%s { row%s[k] = %s }", L, L, ly.Kind.Info().GoRandom)
		case ir.Softmax:
			K := ly.Categories()
			p.Pf("clear(row%s)", L)
			p.Pf("for grp := 0; grp < %d; grp++ { row%s[grp*%d+rng.Intn(%d)] = 1 }", ly.Groups(), L, K, K)
		}
	}
	p.P("}")
	p.P("}")
	p.P()
	p.P("// Len returns the number of chains in use.")
	p.Pf("func (x *%s) Len() int { return x.N }", g.C)
	p.P()
	p.P("// Layers returns views of the units of the chains in use, in declaration order.")
	p.Pf("func (x *%s) Layers() []runtime.Tensor {", g.C)
	p.P("return []runtime.Tensor{")
	for _, ly := range g.m.Layers {
		p.Pf("{Name: %q, Shape: []int{x.N, %d}, Data: x.%s[:x.N*%d]},", ly.Name, ly.Size, g.L(ly), ly.Size)
	}
	p.P("}")
	p.P("}")
	p.P()
	p.P("// SetWeights makes EnergyGrad and the free-energy gradients count chain c")
	p.P("// w[c] times (importance weights, per-example loss weights); nil restores 1.")
	p.P("// The chains keep w, not a copy.")
	p.Pf("func (x *%s) SetWeights(w []float64) { x.weight = w }", g.C)
	p.P()
	p.P("// SetFloat32 runs the chains' batched products in float32 (on) or float64,")
	p.P("// through their Workspace (runtime.Workspace.SetFloat32, whose error bound")
	p.P("// applies), and reports whether float32 is in effect. Chains that share a")
	p.P("// workspace share the choice.")
	p.Pf("func (x *%s) SetFloat32(on bool) bool { return x.Workspace.SetFloat32(on) }", g.C)
	p.P()
	p.Pf("var _ runtime.Float32Chains = (*%s)(nil) // a runtime.Chains with SetFloat32", g.C)
	p.P()
	g.taskType()
}

// taskType writes the RangeTask through which a workspace runs the
// per-chain loops of the samplers and free energies on several threads:
// chain c draws only from its own stream, so the results do not depend on
// how the chains are divided.
func (g *gen) taskType() {
	p := g.p
	p.Pf("// task%s is a per-chain loop of a sampler or free energy with its arguments,", g.T)
	p.P("// which the workspace runs on disjoint ranges of chains at once (ForRange).")
	p.Pf("type task%s struct {", g.T)
	p.Pf("m            *%s", g.T)
	p.Pf("x            *%s", g.C)
	p.P("beta0, beta1 float64")
	p.P("dst0, dst1   []float64")
	p.P("mask         []bool")
	p.Pf("run          func(m *%s, t *task%s, lo, hi int)", g.T, g.T)
	p.P("}")
	p.P()
	p.Pf("func (t *task%s) RunRange(lo, hi int) { t.run(t.m, t, lo, hi) }", g.T)
	p.P()
	p.Pf("// forChains runs t over the chains in use, on the workspace's threads when")
	p.P("// there is enough work; cost is the work of one chain (in multiply-adds or so).")
	p.Pf("func (x *%s) forChains(cost int, t task%s) {", g.C, g.T)
	p.P("x.task = t")
	p.P("x.Workspace.ForRange(x.N, cost, &x.task)")
	p.Pf("x.task = task%s{}", g.T)
	p.P("}")
	p.P()
}

func (g *gen) clampType() {
	p := g.p
	p.Pf("// %sClamp says which units SweepClamped leaves unchanged: a nil slice", g.T)
	p.P("// clamps nothing in its layer, runtime.Mask(size, true) clamps the whole layer.")
	p.P("// A softmax group is clamped when its first unit is.")
	p.Pf("type %sClamp struct {", g.T)
	for _, ly := range g.m.Layers {
		p.Pf("%s []bool", g.L(ly))
	}
	p.P("}")
	p.P()
}
