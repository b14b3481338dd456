package codegen

import (
	"slices"
	"strings"

	"github.com/ebmc/ebmc/ir"
)

// reflect writes the runtime.Reflective adapter.
func (g *gen) reflect() {
	p := g.p
	r := "reflect" + g.T
	p.Pf("// Reflect returns an adapter through which generic tools (verification,")
	p.P("// estimators, evaluation) use the model with plain slices.")
	p.Pf("func (m *%s) Reflect() runtime.Reflective { return %s{m} }", g.T, r)
	p.P()
	p.Pf("type %s struct{ m *%s }", r, g.T)
	p.P()
	p.Pf("func (r %s) ModelName() string { return r.m.ModelName() }", r)
	p.Pf("func (r %s) Params() []runtime.Tensor { return r.m.Params() }", r)
	p.P()
	p.Pf("func (r %s) Layers() []runtime.LayerInfo {", r)
	p.P("return []runtime.LayerInfo{")
	for _, ly := range g.m.Layers {
		p.Pf("{Name: %q, Kind: %q, Shape: []int{%s}, Visible: %v},", ly.Name, ly.Kind.String(), intList(ly.Shape), ly.Visible)
	}
	p.P("}")
	p.P("}")
	p.P()
	p.Pf("func (r %s) Terms() []runtime.TermInfo {", r)
	p.P("return []runtime.TermInfo{")
	for _, t := range g.m.Terms {
		var params, layers, powers []int
		for _, ref := range t.Coef.ParamRefs() {
			if k := ref.Param.Index; !slices.Contains(params, k) {
				params = append(params, k)
			}
		}
		slices.Sort(params)
		for _, u := range t.Units {
			layers, powers = append(layers, u.Layer.Index), append(powers, u.Power)
		}
		p.Pf("{Params: []int{%s}, Layers: []int{%s}, Powers: []int{%s}},", intList(params), intList(layers), intList(powers))
	}
	p.P("}")
	p.P("}")
	p.P()
	p.Pf("func (r %s) FreeEnergies() []runtime.FreeEnergyInfo {", r)
	p.P("return []runtime.FreeEnergyInfo{")
	for _, fe := range g.m.FreeEnergies {
		p.Pf("{Keep: []string{%s}, SumOut: []string{%s}},", quoted(fe.Keep), quoted(fe.SumOut))
	}
	p.P("}")
	p.P("}")
	p.P()
	p.Pf("func (r %s) NewChains(n int, seed uint64) runtime.Chains { return New%s(n, seed) }", r, g.C)
	p.Pf("func (r %s) Energy(x runtime.Chains, dst []float64) { r.m.Energy(x.(*%s), dst) }", r, g.C)
	p.P()
	p.Pf("func (r %s) Field(x runtime.Chains, layer int, a, prec []float64) {", r)
	p.Pf("c := x.(*%s)", g.C)
	p.P("switch layer {")
	for i, ly := range g.m.Layers {
		L := g.L(ly)
		p.Pf("case %d:", i)
		p.Pf("r.m.field%s(c)", L)
		p.Pf("copy(a, c.a%s[:c.N*%d])", L, ly.Size)
		if ly.Kind == ir.Gaussian {
			p.Pf("copy(prec, c.p%s[:c.N*%d])", L, ly.Size)
		}
	}
	p.P("}")
	p.P("}")
	p.P()
	g.reflectSwitch(r, "Mean", "x runtime.Chains, layer int, beta float64, dst []float64", func(L string) string {
		return "r.m.Mean" + L + "(c, beta, dst)"
	})
	g.reflectSwitch(r, "Sample", "x runtime.Chains, layer int, beta float64", func(L string) string {
		return "r.m.Sample" + L + "(c, beta)"
	})
	p.Pf("func (r %s) Sweep(x runtime.Chains, beta float64) { r.m.Sweep(x.(*%s), beta) }", r, g.C)
	p.P()
	p.Pf("func (r %s) HoldParams(x runtime.Chains, hold bool) {", r)
	p.P("if hold {")
	p.Pf("r.m.Hold(x.(*%s))", g.C)
	p.P("} else {")
	p.Pf("x.(*%s).Workspace.Release()", g.C)
	p.P("}")
	p.P("}")
	p.P()
	p.Pf("func (r %s) SweepClamped(x runtime.Chains, beta float64, clamp [][]bool) {", r)
	p.Pf("var cl %sClamp", g.T)
	for i, ly := range g.m.Layers {
		p.Pf("if len(clamp) > %d { cl.%s = clamp[%d] }", i, g.L(ly), i)
	}
	p.Pf("r.m.SweepClamped(x.(*%s), beta, &cl)", g.C)
	p.P("}")
	p.P()
	p.Pf("func (r %s) Metropolis(x runtime.Chains, layer int, beta, step float64) (accepted, proposed int) {", r)
	p.Pf("c := x.(*%s)", g.C)
	p.P("switch layer {")
	for i, ly := range g.m.Layers {
		if ly.Kind != ir.Softmax {
			p.Pf("case %d:", i)
			p.Pf("return r.m.Metropolis%s(c, beta, step)", g.L(ly))
		}
	}
	p.P("}")
	p.P("_ = c")
	p.P("return 0, 0")
	p.P("}")
	p.P()
	p.Pf("func (r %s) Langevin(x runtime.Chains, layer int, beta, eps float64, adjust bool) (accepted, proposed int) {", r)
	p.Pf("c := x.(*%s)", g.C)
	p.P("switch layer {")
	for i, ly := range g.m.Layers {
		if ly.Kind == ir.Gaussian {
			p.Pf("case %d:", i)
			p.Pf("return r.m.Langevin%s(c, beta, eps, adjust)", g.L(ly))
		}
	}
	p.P("}")
	p.P("_ = c")
	p.P("return 0, 0")
	p.P("}")
	p.Pf("func (r %s) MeanField(x runtime.Chains, iters int, tol, damping float64) int {", r)
	p.Pf("return r.m.MeanField(x.(*%s), iters, tol, damping)", g.C)
	p.P("}")
	p.Pf("func (r %s) MeanFieldFrom(x runtime.Chains, iters int, tol, damping float64) int {", r)
	p.Pf("return r.m.MeanFieldFrom(x.(*%s), iters, tol, damping)", g.C)
	p.P("}")
	p.P()
	p.Pf("func (r %s) FreeEnergy(x runtime.Chains, fe int, beta float64, dst []float64) {", r)
	p.Pf("c := x.(*%s)", g.C)
	p.P("switch fe {")
	for i, fe := range g.m.FreeEnergies {
		p.Pf("case %d:", i)
		p.Pf("r.m.FreeEnergy%s(c, beta, dst)", g.keepName(fe))
	}
	p.P("}")
	p.P("_ = c")
	p.P("}")
	p.P()
	p.Pf("func (r %s) AnnealStep(x runtime.Chains, fe int, beta0, beta1 float64, dst0, dst1 []float64, sweep bool) {", r)
	p.Pf("c := x.(*%s)", g.C)
	p.P("switch fe {")
	for i, fe := range g.m.FreeEnergies {
		p.Pf("case %d:", i)
		p.Pf("r.m.annealStep%s(c, beta0, beta1, dst0, dst1, sweep)", g.keepName(fe))
	}
	p.P("}")
	p.P("_ = c")
	p.P("}")
	p.P()
	p.Pf("// grads wraps gradient tensors (in Params order) as a %s.", g.T)
	p.Pf("func (r %s) grads(g []runtime.Tensor) *%s {", r, g.T)
	p.Pf("return &%s{", g.T)
	for i, q := range g.m.Params {
		p.Pf("%s: g[%d].Data,", g.P(q), i)
	}
	p.P("}")
	p.P("}")
	p.P()
	p.Pf("func (r %s) EnergyGrad(x runtime.Chains, scale float64, g []runtime.Tensor) {", r)
	p.Pf("r.m.EnergyGrad(x.(*%s), scale, r.grads(g))", g.C)
	p.P("}")
	p.P()
	p.Pf("func (r %s) FreeEnergyGrad(x runtime.Chains, fe int, scale float64, g []runtime.Tensor) {", r)
	p.Pf("c := x.(*%s)", g.C)
	p.P("if c.scratch == nil {")
	p.Pf("c.scratch = new%s(len(c.RNG), 0, c.Workspace)", g.C)
	p.P("}")
	p.P("mo := c.scratch")
	p.P("switch fe {")
	for i, fe := range g.m.FreeEnergies {
		p.Pf("case %d:", i)
		p.Pf("r.m.FreeEnergyGrad%s(c, mo, scale, r.grads(g))", g.keepName(fe))
	}
	p.P("}")
	p.P("_ = mo")
	p.P("}")
	p.P()
	p.Pf("func (r %s) LogZ(limit float64) (float64, error) { return r.m.LogZ(limit) }", r)
	p.P()
	p.Pf("func (r %s) SetBase(x runtime.Chains, layer int, field, prec []float64) {", r)
	p.Pf("c := x.(*%s)", g.C)
	p.P("switch layer {")
	for i, ly := range g.m.Layers {
		if !ly.Visible {
			continue
		}
		p.Pf("case %d:", i)
		p.Pf("c.Base%s = field", g.L(ly))
		if ly.Kind == ir.Gaussian {
			p.Pf("c.BasePrecision%s = prec", g.L(ly))
		}
	}
	p.P("}")
	p.P("_, _ = field, prec")
	p.P("}")
	p.Pf("func (r %s) NewTrainer(cfg runtime.CDConfig) (runtime.Trainer, error) { return New%sTrainer(r.m, cfg) }", r, g.T)
	p.P()
	p.Pf("var _ runtime.Reflective = %s{}", r)
}

func (g *gen) reflectSwitch(r, method, params string, call func(L string) string) {
	p := g.p
	p.Pf("func (r %s) %s(%s) {", r, method, params)
	p.Pf("c := x.(*%s)", g.C)
	p.P("switch layer {")
	for i, ly := range g.m.Layers {
		p.Pf("case %d:", i)
		p.P(call(g.L(ly)))
	}
	p.P("}")
	p.P("}")
	p.P()
}

func quoted(ls []*ir.Layer) string {
	var parts []string
	for _, ly := range ls {
		parts = append(parts, `"`+ly.Name+`"`)
	}
	return strings.Join(parts, ", ")
}
