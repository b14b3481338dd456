package codegen

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ebmc/ebmc/ir"
)

// energy writes Energy: E for every chain in use.
func (g *gen) energy() {
	p := g.p
	p.Pf("// Energy writes the energy of every chain in use into dst:")
	p.P("//")
	p.Pf("//\tE = %s", g.m.String())
	p.Pf("func (m *%s) Energy(x *%s, dst []float64) {", g.T, g.C)
	used := map[*ir.Layer]bool{}
	for _, t := range g.m.Terms {
		unitLayers(t.Units, used)
	}
	p.P("for ch := 0; ch < x.N; ch++ {")
	g.rows(used, false)
	p.P("e := 0.0")
	em := g.emitter()
	for _, t := range g.m.Terms {
		em.emit(sum{Coef: t.Coef, Units: t.Units, Loop: t.Sum, Distinct: t.Distinct, Dst: "e"})
	}
	p.P("dst[ch] = e")
	p.P("}")
	p.P("}")
	p.P()
}

// freeEnergy writes FreeEnergyKEEP: the derived free energy of every chain.
func (g *gen) freeEnergy(fe *ir.FreeEnergy) {
	p := g.p
	name := "FreeEnergy" + g.keepName(fe)
	var parts string
	for _, ly := range fe.SumOut {
		c := g.m.Conditional(ly)
		u := c.UnitString()
		switch ly.Kind {
		case ir.Bernoulli:
			parts += fmt.Sprintf(" − Σ softplus(β·a_%s)", u)
		case ir.Spin:
			parts += fmt.Sprintf(" − Σ log 2cosh(β·a_%s)", u)
		case ir.Softmax:
			parts += fmt.Sprintf(" − Σ_groups log Σ exp(β·a_%s)", u)
		case ir.Gaussian:
			parts += fmt.Sprintf(" − Σ [β·a_%s²/(2P_%s) + ½ log(2π/(β·P_%s))]", u, u, u)
		}
	}
	p.Pf("// %s writes, for every chain in use, the free energy at inverse temperature", name)
	p.Pf("// beta with %s summed out:", layerList(fe.SumOut))
	p.P("//")
	p.Pf("//\tF_β(%s) = −log Σ exp(−β·E) = β·(%s)%s", layerList(fe.Keep), fe.RestString(), parts)
	p.Pf("func (m *%s) %s(x *%s, beta float64, dst []float64) { m.%s(x, beta, dst, 0, nil) }", g.T, name, g.C, lower(name))
	p.P()
	p.Pf("// %s writes F at beta0 into dst0 and, when dst1 is not nil, at beta1", lower(name))
	p.P("// into dst1, from one computation of the fields.")
	p.Pf("func (m *%s) %s(x *%s, beta0 float64, dst0 []float64, beta1 float64, dst1 []float64) {", g.T, lower(name), g.C)
	cost := 0
	for _, ly := range fe.SumOut {
		p.Pf("m.field%s(x)", g.L(ly))
		cost += 16 * ly.Size
	}
	used := map[*ir.Layer]bool{}
	for _, t := range fe.Rest {
		unitLayers(t.Units, used)
	}
	for ly := range used {
		cost += ly.Size
	}
	p.Pf("x.forChains(%d, task%s{m: m, x: x, beta0: beta0, dst0: dst0, beta1: beta1, dst1: dst1, run: (*%s).%sChains})", cost, g.T, g.T, lower(name))
	p.P("}")
	p.P()
	p.Pf("// %sChains is the loop of %s over chains lo…hi−1.", lower(name), lower(name))
	p.Pf("func (m *%s) %sChains(t *task%s, lo, hi int) {", g.T, lower(name), g.T)
	p.P("x := t.x")
	p.P("for ch := lo; ch < hi; ch++ {")
	g.rows(used, false)
	p.P("rest := 0.0")
	em := g.emitter()
	for _, t := range fe.Rest {
		em.emit(sum{Coef: t.Coef, Units: t.Units, Loop: t.Sum, Distinct: t.Distinct, Dst: "rest"})
	}
	for _, ly := range fe.SumOut {
		L, S := g.L(ly), ly.Size
		p.Pf("a%s := x.a%s[ch*%d : ch*%d+%d]", L, L, S, S, S)
		if ly.Kind == ir.Gaussian {
			p.Pf("p%s := x.p%s[ch*%d : ch*%d+%d]", L, L, S, S, S)
		}
	}
	p.P("for k, dst := range [2][]float64{t.dst0, t.dst1} {")
	p.P("if dst == nil {")
	p.P("continue")
	p.P("}")
	p.P("beta := t.beta0")
	p.P("if k == 1 {")
	p.P("beta = t.beta1")
	p.P("}")
	p.P("f := beta * rest")
	for _, ly := range fe.SumOut {
		L := g.L(ly)
		switch ly.Kind {
		case ir.Bernoulli:
			p.Pf("f -= runtime.SoftplusSum(a%s, beta)", L)
		case ir.Spin:
			p.Pf("for _, a := range a%s {", L)
			p.P("f -= runtime.Log2Cosh(beta * a)")
			p.P("}")
		case ir.Softmax:
			K := ly.Categories()
			p.Pf("for grp := 0; grp < %d; grp++ {", ly.Groups())
			p.Pf("f -= runtime.LogSumExpScaled(a%s[grp*%d:grp*%d+%d], beta)", L, K, K, K)
			p.P("}")
		case ir.Gaussian:
			p.Pf("for k, a := range a%s {", L)
			p.Pf("f -= beta*a*a/(2*p%s[k]) + 0.5*math.Log(2*math.Pi/(beta*p%s[k]))", L, L)
			p.P("}")
		}
	}
	p.P("dst[ch] = f")
	p.P("}")
	p.P("}")
	p.P("}")
	p.P()
	g.annealStep(fe, name)
	if fe == g.visibleFE() && name != "FreeEnergy" {
		p.Pf("// FreeEnergy is %s, the free energy of the visible layers, F(v) = −log Σ_h exp(−E(v, h)).", name)
		p.Pf("func (m *%s) FreeEnergy(x *%s, beta float64, dst []float64) { m.%s(x, beta, dst) }", g.T, g.C, name)
		p.P()
	}
}

func layerList(ls []*ir.Layer) string {
	var names []string
	for _, ly := range ls {
		names = append(names, ly.Name)
	}
	return joinNames(names)
}

// enumerable is log₂ of the most configurations generated LogZ can count
// with an int; whether it should enumerate that many is the caller's limit.
const enumerable = 62

// logZ writes LogZ: exact enumeration of the cheapest side — the layers a
// free energy keeps, the others summed out, or every layer — refused at run
// time when it takes more configurations than the caller's limit, or an
// error that says what it would take.
func (g *gen) logZ() {
	p := g.p
	var best *ir.FreeEnergy
	layers := g.m.Layers
	bestLog, err := ir.Log2Configs(layers)
	if err != nil {
		bestLog = math.Inf(1)
	}
	for _, fe := range g.m.FreeEnergies {
		if lg, err := ir.Log2Configs(fe.Keep); err == nil && lg < bestLog {
			best, bestLog, layers = fe, lg, fe.Keep
		}
	}
	how := "enumerating " + layerList(layers)
	if best != nil {
		how += " and summing " + layerList(best.SumOut) + " out through the free energy"
	}
	if math.IsInf(bestLog, 1) || bestLog > enumerable {
		msg := fmt.Sprintf("log Z of %s: the cheapest exact sum, %s, takes %s configurations, more than can be enumerated; estimate log Z by annealed importance sampling (estimators.AIS, package runtime/estimators)",
			g.m.Name, how, ir.ConfigCount(bestLog))
		if math.IsInf(bestLog, 1) {
			_, err := ir.Log2Configs(g.m.Layers)
			msg = fmt.Sprintf("log Z of %s: %v, and no free energy sums every gaussian layer out; estimate log Z by annealed importance sampling (estimators.AIS, package runtime/estimators)", g.m.Name, err)
		}
		p.P("// LogZ cannot enumerate this model; estimate log Z by annealed importance sampling.")
		p.Pf("func (m *%s) LogZ(limit float64) (float64, error) {", g.T)
		p.Pf("return 0, errors.New(%q)", msg)
		p.P("}")
		p.P()
		return
	}
	n, err := ir.Configs(layers, math.Exp2(enumerable))
	if err != nil {
		panic(err) // bestLog ≤ enumerable
	}
	p.Pf("// LogZ returns log Z = log Σ exp(−E) exactly, %s (%d configurations),", how, n)
	p.P("// on every core. It refuses when that is more configurations than limit")
	p.P("// (limit ≤ 0 means 2³⁰).")
	p.Pf("func (m *%s) LogZ(limit float64) (float64, error) {", g.T)
	p.Pf("var configs float64 = %d // a variable: the count need not fit this platform's int", n)
	p.P("if limit <= 0 {")
	p.P("limit = 1 << 30")
	p.P("}")
	p.P("if configs > limit || configs > math.MaxInt {")
	p.Pf("return 0, fmt.Errorf(\"log Z of %s: %s takes %%.0f configurations, more than the limit %%g (or than an int counts here); raise the limit, or estimate log Z by annealed importance sampling (estimators.AIS, package runtime/estimators)\", configs, limit)", g.m.Name, how)
	p.P("}")
	p.P("n := int(configs)")
	p.P("const batch = 256")
	p.P("return runtime.EnumerateLogSum(n, batch, func() func(k0, count int, out []float64) {")
	p.Pf("x := new%s(batch, 0, runtime.NewWorkspace(1)) // the enumeration is parallel already", g.C)
	p.P("return func(k0, count int, out []float64) {")
	p.P("x.N = count")
	p.P("for ch := 0; ch < count; ch++ {")
	p.P("k := k0 + ch")
	g.setConfig(layers)
	p.P("}")
	if best != nil {
		p.Pf("m.FreeEnergy%s(x, 1, out)", g.keepName(best))
	} else {
		p.P("m.Energy(x, out)")
	}
	p.P("for i, f := range out {")
	p.P("out[i] = -f")
	p.P("}")
	p.P("}")
	p.P("}), nil")
	p.P("}")
	p.P()
}

// setConfig writes configuration k of layers into chain ch, last unit least
// significant (the order of ir.SetConfig).
func (g *gen) setConfig(layers []*ir.Layer) {
	p := g.p
	for i := len(layers) - 1; i >= 0; i-- {
		ly := layers[i]
		L, S := g.L(ly), ly.Size
		p.Pf("row%s := x.%s[ch*%d : ch*%d+%d]", L, L, S, S, S)
		switch ly.Kind {
		case ir.Softmax:
			K := ly.Categories()
			p.Pf("clear(row%s)", L)
			p.Pf("for grp := %d; grp >= 0; grp-- {", ly.Groups()-1)
			p.Pf("row%s[grp*%d+k%%%d] = 1", L, K, K)
			p.Pf("k /= %d", K)
			p.P("}")
		default:
			two := ly.Kind.Info().Two
			lo, hi := fmt.Sprint(two[0]), fmt.Sprint(two[1])
			p.Pf("for u := %d; u >= 0; u-- {", S-1)
			p.Pf("row%s[u] = %s", L, lo)
			p.P("if k&1 == 1 {")
			p.Pf("row%s[u] = %s", L, hi)
			p.P("}")
			p.P("k >>= 1")
			p.P("}")
		}
	}
	p.P("_ = k")
}

// lower turns an exported method name into the unexported one beside it.
func lower(name string) string { return strings.ToLower(name[:1]) + name[1:] }

// annealStep writes annealStepKEEP, one temperature of annealed importance
// sampling: the free energy at two temperatures from one computation of
// the fields, then a sweep that reuses those fields when the schedule
// samples the summed-out layers first (they depend only on the kept ones).
func (g *gen) annealStep(fe *ir.FreeEnergy, name string) {
	p := g.p
	fn := "annealStep" + g.keepName(fe)
	p.Pf("// %s writes F at beta0 and beta1 of the chains into dst0 and dst1, and", fn)
	p.P("// with sweep then runs one sweep at beta1, whose first block reuses the")
	p.P("// fields just computed: one temperature of annealed importance sampling.")
	p.Pf("func (m *%s) %s(x *%s, beta0, beta1 float64, dst0, dst1 []float64, sweep bool) {", g.T, fn, g.C)
	p.Pf("m.%s(x, beta0, dst0, beta1, dst1)", lower(name))
	p.P("if !sweep {")
	p.P("return")
	p.P("}")
	if mask, ok := g.freshMask(fe); ok {
		p.Pf("x.fresh = %#x", mask)
	}
	p.P("m.Sweep(x, beta1)")
	p.P("x.fresh = 0")
	p.P("}")
	p.P()
}

// freshMask is the bit mask of the layers fe sums out, when they are
// exactly the first block of the schedule and sampled all at once.
func (g *gen) freshMask(fe *ir.FreeEnergy) (uint64, bool) {
	if len(g.m.Schedule) == 0 || len(g.m.Layers) > 64 {
		return 0, false
	}
	first := g.m.Schedule[0].Layers
	if len(first) != len(fe.SumOut) {
		return 0, false
	}
	var mask uint64
	for _, ly := range first {
		if ly.Lateral || !slices.Contains(fe.SumOut, ly) {
			return 0, false
		}
		mask |= 1 << slices.Index(g.m.Layers, ly)
	}
	return mask, true
}
