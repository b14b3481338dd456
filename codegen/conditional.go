package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ebmc/ebmc/ir"
)

// scalingCode writes a scaling (ir.Scaling) as Go, with the index ix named v.
func scalingCode(em *emitter, sc ir.Scaling, ix *ir.Index, v string) string {
	names := map[*ir.Index]string{ix: v}
	part := func(fs []*ir.Expr) string {
		var out []string
		for _, f := range fs {
			out = append(out, em.expr(f, names))
		}
		return strings.Join(out, " * ")
	}
	switch {
	case len(sc.Den) == 0:
		return part(sc.Num)
	case len(sc.Num) == 0 && len(sc.Den) == 1:
		return "1 / " + part(sc.Den)
	case len(sc.Num) == 0:
		return "1 / (" + part(sc.Den) + ")"
	}
	return "(" + part(sc.Num) + ") / (" + part(sc.Den) + ")"
}

// scaledKernels reports whether a field or gradient product of the model
// needs scaling vectors and scratch batches.
func (g *gen) scaledKernels() bool {
	for _, c := range g.m.Conditionals {
		for _, ct := range c.Field {
			if k := ct.MatVec; k != nil && k.Scaled() {
				return true
			}
		}
	}
	for _, gr := range g.m.Gradients {
		for _, part := range gr.Parts {
			if o := part.Outer; o != nil && o.Scaled() {
				return true
			}
		}
	}
	return false
}

// scaledProduct writes a += c·f∘((N·g)·P) for the batch: the neighbour's
// columns scaled by g into x.mvIn, the product into x.mvOut when f scales
// its columns.
func (g *gen) scaledProduct(k *ir.MatVec, S int) {
	p := g.p
	em := g.emitter()
	nbS := k.Neighbour.Size
	ld := k.Param.Shape[1]
	in := "x." + g.L(k.Neighbour)
	p.P("{")
	if !k.Col.Empty() {
		p.Pf("cs := x.mvCol[:%d]", nbS)
		p.Pf("for s := range cs { cs[s] = %s }", scalingCode(em, k.Col, k.Sum, "s"))
		p.Pf("in := runtime.ScaleMatrix(x.mvIn, %s, x.N, %d, nil, cs)", in, nbS)
		in = "in"
	}
	if k.Row.Empty() {
		p.Pf("x.Workspace.Gemm(false, %v, x.N, %d, %d, %s, %s, %d, m.%s, %d, 1, a, %d)", k.Transposed, S, nbS, literal(k.Coef), in, nbS, g.P(k.Param), ld, S)
	} else {
		p.Pf("out := x.mvOut[:x.N*%d]", S)
		p.Pf("x.Workspace.Gemm(false, %v, x.N, %d, %d, %s, %s, %d, m.%s, %d, 0, out, %d)", k.Transposed, S, nbS, literal(k.Coef), in, nbS, g.P(k.Param), ld, S)
		p.Pf("rs := x.mvRow[:%d]", S)
		p.Pf("for u := range rs { rs[u] = %s }", scalingCode(em, k.Row, k.Unit, "u"))
		p.Pf("runtime.AddScaled(a, out, x.N, %d, rs)", S)
	}
	p.P("}")
}

// fieldPart selects the contributions to a layer's field that a field
// function computes, and where it writes them.
type fieldPart int

const (
	// wholeField is every contribution, into x.aL (fieldL).
	wholeField fieldPart = iota
	// clampedPart is the contributions of the visible layers and the
	// parameters alone, into x.fixedL (fieldClampedL): what mean field,
	// which holds the visible layers, computes once.
	clampedPart
	// freePart is x.fixedL plus the contributions with a hidden unit, into
	// x.aL (fieldFreeL): the field in each sweep of mean field.
	freePart
)

// name is the part's infix in the names of its functions.
func (fp fieldPart) name() string {
	return [...]string{"", "Clamped", "Free"}[fp]
}

// keeps reports whether the part computes a contribution of the given
// neighbour layers: the clamped part those of visible layers only (and
// biases, which have none), the free part the others.
func (fp fieldPart) keeps(layers map[*ir.Layer]bool) bool {
	if fp == wholeField {
		return true
	}
	clamped := true
	for ly := range layers {
		clamped = clamped && ly.Visible
	}
	return clamped == (fp == clampedPart)
}

// field writes fieldL, which computes the field (and precision) of every
// unit of a layer for every chain in use, for layers with lateral
// couplings fieldSiteL, the field of one unit, and for layers whose field
// mean field splits (ir.Conditional.ClampedProducts) fieldClampedL and fieldFreeL.
func (g *gen) field(c *ir.Conditional) {
	g.fieldOf(c, wholeField)
	if c.ClampedProducts() {
		g.fieldOf(c, clampedPart)
		g.fieldOf(c, freePart)
	}
	if c.Layer.Lateral || c.Layer.Kind == ir.Bernoulli || c.Layer.Kind == ir.Spin {
		g.fieldSite(c)
	}
}

// fieldOf writes the field function of one part of a layer's field, and
// the loop over chains it runs on the workspace's threads.
func (g *gen) fieldOf(c *ir.Conditional, part fieldPart) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	P := part.name()
	p := g.p
	var kernels, scaled []*ir.MatVec
	var generic []*ir.Contribution
	for _, ct := range c.Field {
		mv := ct.MatVec
		switch {
		case mv != nil && !part.keeps(map[*ir.Layer]bool{mv.Neighbour: true}):
		case mv != nil && mv.Scaled():
			scaled = append(scaled, mv)
		case mv != nil:
			kernels = append(kernels, mv)
		case !part.keeps(layersOf(ct.Units)):
		default:
			generic = append(generic, ct)
		}
	}
	// The precision of a gaussian layer is computed whole by the whole and
	// free parts.
	precision := ly.Kind == ir.Gaussian && part != clampedPart
	dstBuf := "a" + L
	switch part {
	case wholeField:
		doc := fmt.Sprintf("field%s writes the field of %s for the chains in use into x.a%s:\n\n\ta_%s = %s", L, c.UnitString(), L, c.UnitString(), c.FieldString())
		if ly.Kind == ir.Gaussian {
			doc += fmt.Sprintf("\n\nand the precision into x.p%s:\n\n\tP_%s = %s", L, c.UnitString(), c.PrecisionString())
		}
		p.Doc(doc)
	case clampedPart:
		dstBuf = "fixed" + L
		p.Pf("// fieldClamped%s writes into x.fixed%s the part of the field of %s that", L, L, ly.Name)
		p.P("// the visible layers and the parameters fix (field" + L + " is the whole):")
		p.P("// mean field, which holds the visible layers, computes it once.")
	case freePart:
		p.Pf("// fieldFree%s writes the field of %s into x.a%s as field%s does, from the", L, ly.Name, L, L)
		p.Pf("// clamped part that fieldClamped%s left in x.fixed%s: the field in each", L, L)
		p.P("// sweep of mean field.")
	}
	p.Pf("func (m *%s) field%s%s(x *%s) {", g.T, P, L, g.C)
	p.Pf("a := x.%s[:x.N*%d]", dstBuf, S)
	if precision {
		p.Pf("prec := x.p%s[:x.N*%d]", L, S)
		p.P("clear(prec)")
	}
	// The first batched product overwrites a (β = 0) unless a scaled
	// product came before it, so a is cleared only when that is needed;
	// the free part starts from the clamped one.
	start := "clear(a)"
	if part == freePart {
		start = fmt.Sprintf("copy(a, x.fixed%s[:x.N*%d])", L, S)
	}
	cleared := part == freePart || len(scaled) > 0 || len(kernels) == 0
	if cleared {
		p.P(start)
	}
	for _, k := range scaled {
		g.scaledProduct(k, S)
	}
	used := map[*ir.Layer]bool{}
	for _, k := range kernels {
		used[k.Neighbour] = true
	}
	cost := S
	for _, ct := range generic {
		unitLayers(ct.Units, used)
		cost += S
	}
	if precision {
		for _, ct := range c.Precision {
			unitLayers(ct.Units, used)
			cost += S
		}
	}
	// The rest of the field runs over the chains on the workspace's threads,
	// except in batches too small for the matrix products, whose per-chain
	// products use the workspace themselves.
	task := fmt.Sprintf("task%s{m: m, x: x, run: (*%s).fieldChains%s%s}", g.T, g.T, P, L)
	if len(kernels) > 0 {
		p.Pf("if x.N < %d {", gemmMinChains)
		if !cleared {
			p.P(start)
		}
		p.Pf("m.fieldChains%s%s(&%s, 0, x.N)", P, L, task)
		p.P("return")
		p.P("}")
		for i, k := range kernels {
			nbS := k.Neighbour.Size
			ld := k.Param.Shape[1]
			beta := 1
			if i == 0 && !cleared {
				beta = 0
			}
			p.Pf("x.Workspace.Gemm(false, %v, x.N, %d, %d, %s, x.%s, %d, m.%s, %d, %d, a, %d)", k.Transposed, S, nbS, literal(k.Coef), g.L(k.Neighbour), nbS, g.P(k.Param), ld, beta, S)
		}
	}
	// The chain loop has work beyond the small-batch products only with
	// terms that are not products, or a precision; without products either
	// (the free part of a layer that hears only visible ones) there is none.
	loop := len(kernels) > 0 || len(generic) > 0 || precision
	if loop && (len(kernels) == 0 || len(generic) > 0 || precision && len(c.Precision) > 0) {
		p.Pf("x.forChains(%d, %s)", cost, task)
	}
	p.P("}")
	p.P()
	if !loop {
		return
	}
	p.Pf("// fieldChains%s%s is the loop of field%s%s over chains lo…hi−1: the terms that", P, L, P, L)
	p.P("// are not batched matrix products, and the biases.")
	p.Pf("func (m *%s) fieldChains%s%s(t *task%s, lo, hi int) {", g.T, P, L, g.T)
	p.P("x := t.x")
	// A gaussian layer may have no linear field at all (x²/2 alone, or
	// quadratic couplings only): then only its precision is written.
	linear := len(kernels) > 0 || len(generic) > 0
	if linear {
		p.Pf("a := x.%s[:x.N*%d]", dstBuf, S)
	}
	if precision {
		p.Pf("prec := x.p%s[:x.N*%d]", L, S)
	}
	p.P("for ch := lo; ch < hi; ch++ {")
	g.rows(used, false)
	if linear {
		p.Pf("dst := a[ch*%d : ch*%d+%d]", S, S, S)
	}
	if precision {
		p.Pf("dstP := prec[ch*%d : ch*%d+%d]", S, S, S)
	}
	if len(kernels) > 0 {
		p.Pf("if x.N < %d {", gemmMinChains)
		for _, k := range kernels {
			nbS := k.Neighbour.Size
			row := "row" + g.L(k.Neighbour)
			switch {
			case !k.Transposed:
				// Rows of P for the nonzero neighbours: binary states are mostly zeros.
				p.Pf("x.Workspace.AddRows(dst, %s, m.%s, %d, %d, %d, %s)", row, g.P(k.Param), nbS, S, S, literal(k.Coef))
			default:
				p.Pf("x.Workspace.Gemv(false, %d, %d, %s, m.%s, %d, %s, 1, dst)", S, nbS, literal(k.Coef), g.P(k.Param), nbS, row)
			}
		}
		p.P("}")
	}
	em := g.emitter()
	for _, ct := range generic {
		if coef, q, ok := biasOf(ct, c.Unit, ly); ok {
			p.Pf("runtime.Axpy(%s, m.%s, dst)", literal(coef), g.P(q))
			continue
		}
		em.emit(sum{Coef: ct.Coef, Units: ct.Units, Loop: append(slices.Clone(c.Unit), ct.Sum...), Distinct: ct.Distinct, Dst: "dst", DstIndex: c.Unit, DstShape: ly.Shape})
	}
	if precision {
		for _, ct := range c.Precision {
			em.emit(sum{Coef: ct.Coef, Units: ct.Units, Loop: append(slices.Clone(c.Unit), ct.Sum...), Distinct: ct.Distinct, Dst: "dstP", DstIndex: c.Unit, DstShape: ly.Shape})
		}
	}
	if linear && len(kernels) == 0 && len(generic) == 0 {
		p.P("_ = dst")
	}
	if precision && len(c.Precision) == 0 {
		p.P("_ = dstP")
	}
	p.P("}")
	p.P("}")
	p.P()
}

// layersOf is the set of layers of units.
func layersOf(units []ir.UnitRef) map[*ir.Layer]bool {
	s := map[*ir.Layer]bool{}
	unitLayers(units, s)
	return s
}

// biasOf reports whether a field contribution is c·θ[u], θ a parameter
// vector as long as the layer indexed by the unit alone (a bias): it is
// added to a chain's row with one vector pass.
func biasOf(ct *ir.Contribution, unit []*ir.Index, ly *ir.Layer) (float64, *ir.Param, bool) {
	if len(ct.Units) != 0 || len(ct.Sum) != 0 || len(ct.Distinct) != 0 || len(unit) != 1 {
		return 0, nil, false
	}
	c, num, den := ir.SplitCoef(ct.Coef)
	if len(num) != 1 || len(den) != 0 {
		return 0, nil, false
	}
	e := num[0]
	if e.Op != ir.OpParam || len(e.Index) != 1 || e.Index[0] != unit[0] || len(e.Param.Shape) != 1 || e.Param.Size != ly.Size {
		return 0, nil, false
	}
	return c, e.Param, true
}

// unitVars binds a conditional's unit variables to the flat unit index u.
func (g *gen) unitVars(c *ir.Conditional) map[*ir.Index]string {
	bound := map[*ir.Index]string{}
	if len(c.Unit) == 1 {
		bound[c.Unit[0]] = "u"
		return bound
	}
	rest := "u"
	for d := len(c.Unit) - 1; d >= 0; d-- {
		name := fmt.Sprintf("u%d", d)
		if d == 0 {
			g.p.Pf("%s := %s", name, rest)
		} else {
			g.p.Pf("%s := %s %% %d", name, rest, c.Layer.Shape[d])
			g.p.Pf("u%dr := %s / %d", d, rest, c.Layer.Shape[d])
			rest = fmt.Sprintf("u%dr", d)
		}
		bound[c.Unit[d]] = name
	}
	return bound
}

func (g *gen) fieldSite(c *ir.Conditional) {
	ly := c.Layer
	L := g.L(ly)
	p := g.p
	p.Pf("// fieldSite%s returns the field (and precision) of unit u of %s in chain ch,", L, ly.Name)
	p.P("// from the current values of every other unit: site-by-site updates use it.")
	p.Pf("func (m *%s) fieldSite%s(x *%s, ch, u int) (a, prec float64) {", g.T, L, g.C)
	used := map[*ir.Layer]bool{}
	for _, ct := range append(slices.Clone(c.Field), c.Precision...) {
		unitLayers(ct.Units, used)
	}
	g.rows(used, false)
	bound := g.unitVars(c)
	em := g.emitter()
	for _, ct := range c.Field {
		em.emit(sum{Coef: ct.Coef, Units: ct.Units, Loop: ct.Sum, Distinct: ct.Distinct, Bound: bound, Dst: "a"})
	}
	for _, ct := range c.Precision {
		em.emit(sum{Coef: ct.Coef, Units: ct.Units, Loop: ct.Sum, Distinct: ct.Distinct, Bound: bound, Dst: "prec"})
	}
	p.P("return a, prec")
	p.P("}")
	p.P()
}

// siteCost estimates the work of one unit's field (fieldSite): the units of
// the layers it reads.
func (g *gen) siteCost(c *ir.Conditional) int {
	used := map[*ir.Layer]bool{}
	for _, ct := range append(slices.Clone(c.Field), c.Precision...) {
		unitLayers(ct.Units, used)
	}
	n := 0
	for ly := range used {
		n += ly.Size
	}
	return n
}

// activation writes the conditional mean of one unit given field a (and prec).
func activation(ly *ir.Layer, a, prec string) string {
	f := ly.Kind.Info().GoMean
	if f == "" {
		panic("activation of softmax is per group")
	}
	return fmt.Sprintf(f, a, prec)
}

// draw writes a sample of one unit given its tempered field e (and precision q).
func draw(ly *ir.Layer, e, q string) string {
	f := ly.Kind.Info().GoDraw
	if f == "" {
		panic("draw of softmax is per group")
	}
	return fmt.Sprintf(f, e, q)
}

// tempered writes e := β·a (q := β·P), plus (1−β) times the base field
// (and precision) of a visible layer when the chains have one (AIS).
func (g *gen) tempered(ly *ir.Layer, a, prec, k string) {
	p := g.p
	p.Pf("e := beta * %s", a)
	if ly.Kind == ir.Gaussian {
		p.Pf("q := beta * %s", prec)
	}
	if ly.Visible {
		p.P("if base != nil {")
		p.Pf("e += (1 - beta) * base[%s]", k)
		if ly.Kind == ir.Gaussian {
			p.Pf("q += (1 - beta) * baseP[%s]", k)
		}
		p.P("}")
	}
}

// baseLocals declares the base field (and precision) of a visible layer.
func (g *gen) baseLocals(ly *ir.Layer) {
	if !ly.Visible {
		return
	}
	g.p.Pf("base := x.Base%s", g.L(ly))
	if ly.Kind == ir.Gaussian {
		g.p.Pf("baseP := x.BasePrecision%s", g.L(ly))
	}
}

func (g *gen) familyDoc(c *ir.Conditional) string {
	u := c.UnitString()
	a := "a_" + u
	switch c.Family {
	case ir.Logistic:
		return fmt.Sprintf("p(%s = 1 | rest) = σ(β·%s)", u, a)
	case ir.Tanh:
		return fmt.Sprintf("p(%s = ±1 | rest) = σ(±2β·%s), E[%s] = tanh(β·%s)", u, a, u, a)
	case ir.Normal:
		return fmt.Sprintf("p(%s | rest) = N(%s/P_%s, 1/(β·P_%s))", u, a, u, u)
	}
	return fmt.Sprintf("p(%s = 1 | rest) = exp(β·%s) / Σ over its group exp(β·a)", u, a)
}

// mean writes MeanL (conditional means into dst) and setMeanL (means into
// the layer itself, with variances for gaussian layers).
func (g *gen) mean(c *ir.Conditional) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	p.Pf("// Mean%s writes E[%s | rest] at inverse temperature beta for the chains in use", L, c.UnitString())
	p.Pf("// into dst (x.N × %d), where %s.", S, g.familyDoc(c))
	p.Pf("func (m *%s) Mean%s(x *%s, beta float64, dst []float64) {", g.T, L, g.C)
	p.Pf("m.field%s(x)", L)
	g.meanBody(c, "dst")
	p.P("}")
	p.P()
	p.Pf("// setMean%s replaces %s by its conditional means (variances into x.var%s for gaussian units).", L, ly.Name, L)
	p.Pf("func (m *%s) setMean%s(x *%s, beta float64) {", g.T, L, g.C)
	p.Pf("m.field%s(x)", L)
	g.meanBody(c, "x."+L)
	if ly.Kind == ir.Gaussian {
		p.Pf("for k, pk := range x.p%s[:x.N*%d] {", L, S)
		p.Pf("x.var%s[k] = 1 / (beta * pk)", L)
		p.P("}")
	}
	p.P("}")
	p.P()
}

func (g *gen) meanBody(c *ir.Conditional, dst string) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	if ly.Kind == ir.Softmax {
		K := ly.Categories()
		p.Pf("for grp := 0; grp < x.N*%d; grp++ {", ly.Groups())
		p.Pf("a := x.a%s[grp*%d : grp*%d+%d]", L, K, K, K)
		p.P("for k := range a {")
		p.P("x.prob[k] = beta * a[k]")
		p.P("}")
		p.Pf("runtime.Softmax(%s[grp*%d:grp*%d+%d], x.prob[:%d])", dst, K, K, K, K)
		p.P("}")
		return
	}
	if ly.Kind == ir.Bernoulli {
		p.Pf("runtime.Sigmoids(%s[:x.N*%d], x.a%s[:x.N*%d], beta)", dst, S, L, S)
		return
	}
	p.Pf("for k, a := range x.a%s[:x.N*%d] {", L, S)
	if ly.Kind == ir.Gaussian {
		p.Pf("%s[k] = a / x.p%s[k]", dst, L)
	} else {
		p.Pf("%s[k] = %s", dst, activation(ly, "a", ""))
	}
	p.P("}")
}

// sample writes SampleL and sampleL, which draws a layer for every chain,
// leaving the units that mask marks unchanged, and sampleChainsL, its loop
// over a range of chains, which the workspace runs on several threads.
func (g *gen) sample(c *ir.Conditional) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	p.Pf("// Sample%s draws %s for the chains in use from its conditional at inverse", L, ly.Name)
	if ly.Lateral {
		p.Pf("// temperature beta, site by site (its units are coupled): %s.", g.familyDoc(c))
	} else {
		p.Pf("// temperature beta, all units at once: %s.", g.familyDoc(c))
	}
	p.Pf("func (m *%s) Sample%s(x *%s, beta float64) { m.sample%s(x, beta, nil) }", g.T, L, g.C, L)
	p.P()
	p.Pf("func (m *%s) sample%s(x *%s, beta float64, mask []bool) {", g.T, L, g.C)
	p.P("if runtime.AllTrue(mask) {")
	p.P("return")
	p.P("}")
	cost := 16 * S
	if ly.Lateral {
		cost = S * (16 + g.siteCost(c))
	} else {
		bit := fmt.Sprintf("%#x", uint64(1)<<slices.Index(g.m.Layers, ly))
		p.Pf("if x.fresh&%s == 0 {", bit)
		p.Pf("m.field%s(x)", L)
		p.P("}")
		p.Pf("x.fresh &^= %s", bit)
		p.P("if mask != nil {")
		p.Pf("copy(x.save, x.%s[:x.N*%d])", L, S)
		p.P("}")
	}
	p.Pf("x.forChains(%d, task%s{m: m, x: x, beta0: beta, mask: mask, run: (*%s).sampleChains%s})", cost, g.T, g.T, L)
	p.P("}")
	p.P()
	p.Pf("// sampleChains%s is the loop of sample%s over chains lo…hi−1; each chain", L, L)
	p.P("// draws from its own stream and writes only its own rows.")
	p.Pf("func (m *%s) sampleChains%s(t *task%s, lo, hi int) {", g.T, L, g.T)
	p.P("x, beta, mask := t.x, t.beta0, t.mask")
	g.baseLocals(ly)
	if binary := ly.Kind == ir.Bernoulli || ly.Kind == ir.Spin; binary && !ly.Lateral {
		g.drawBinaryRows(c)
		p.P("}")
		p.P()
		return
	}
	p.P("for ch := lo; ch < hi; ch++ {")
	p.P("rng := &x.RNG[ch]")
	p.Pf("row := x.%s[ch*%d : ch*%d+%d]", L, S, S, S)
	if ly.Lateral {
		g.drawSites(c)
	} else {
		g.drawRow(c)
	}
	p.P("}")
	p.P("}")
	p.P()
}

// drawBinaryRows writes the draw of a bernoulli or spin layer whose units
// are conditionally independent, for the chains lo…hi−1: each row's
// probabilities σ(β·a) are computed in the row itself (vectorized), then
// every row is drawn at once, several chains per vector (runtime.BernoulliRows),
// and the clamped units are put back.
func (g *gen) drawBinaryRows(c *ir.Conditional) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	two, rows := "", "BernoulliRows"
	if ly.Kind == ir.Spin {
		two, rows = "2*", "SpinRows"
	}
	p.P("for ch := lo; ch < hi; ch++ {")
	p.Pf("row := x.%s[ch*%d : ch*%d+%d]", L, S, S, S)
	p.Pf("a := x.a%s[ch*%d : ch*%d+%d]", L, S, S, S)
	if ly.Visible {
		p.P("if base != nil {")
		p.P("for k := range row {")
		p.P("row[k] = beta*a[k] + (1-beta)*base[k]")
		p.P("}")
		p.Pf("runtime.Sigmoids(row, row, %s1)", two)
		p.P("} else {")
		p.Pf("runtime.Sigmoids(row, a, %sbeta)", two)
		p.P("}")
	} else {
		p.Pf("runtime.Sigmoids(row, a, %sbeta)", two)
	}
	p.P("}")
	p.Pf("runtime.%s(x.RNG[lo:hi], x.%s[lo*%d:hi*%d], %d)", rows, L, S, S, S)
	p.P("if mask == nil {")
	p.P("return")
	p.P("}")
	p.P("for ch := lo; ch < hi; ch++ {")
	p.Pf("row := x.%s[ch*%d : ch*%d+%d]", L, S, S, S)
	p.Pf("saved := x.save[ch*%d : ch*%d+%d]", S, S, S)
	g.restoreClamped()
	p.P("}")
}

// restoreClamped writes the loop that puts back the clamped units of a
// chain's row from its saved copy.
func (g *gen) restoreClamped() {
	p := g.p
	p.P("for k, clamped := range mask {")
	p.P("if clamped {")
	p.P("row[k] = saved[k]")
	p.P("}")
	p.P("}")
}

// drawRow writes the body of a chain's draw of a softmax or gaussian layer
// whose units are conditionally independent, from the fields in x.aL.
func (g *gen) drawRow(c *ir.Conditional) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	p.Pf("a := x.a%s[ch*%d : ch*%d+%d]", L, S, S, S)
	switch ly.Kind {
	case ir.Softmax:
		K := ly.Categories()
		p.Pf("for grp := 0; grp < %d; grp++ {", ly.Groups())
		p.Pf("pr := row[grp*%d : grp*%d+%d]", K, K, K)
		p.P("for k := range pr {")
		g.tempered(ly, fmt.Sprintf("a[grp*%d+k]", K), "", fmt.Sprintf("grp*%d+k", K))
		p.P("pr[k] = e")
		p.P("}")
		p.P("runtime.Softmax(pr, pr)")
		p.P("pick := rng.Categorical(pr)")
		p.P("clear(pr)")
		p.P("pr[pick] = 1")
		p.P("}")
	case ir.Gaussian:
		p.Pf("prec := x.p%s[ch*%d : ch*%d+%d]", L, S, S, S)
		p.P("for k := range row {")
		g.tempered(ly, "a[k]", "prec[k]", "k")
		p.Pf("row[k] = %s", draw(ly, "e", "q"))
		p.P("}")
	}
	p.P("if mask != nil {")
	p.Pf("saved := x.save[ch*%d : ch*%d+%d]", S, S, S)
	if ly.Kind == ir.Softmax {
		K := ly.Categories()
		p.Pf("for grp := 0; grp < %d; grp++ {", ly.Groups())
		p.Pf("if mask[grp*%d] {", K)
		p.Pf("copy(row[grp*%d:grp*%d+%d], saved[grp*%d:grp*%d+%d])", K, K, K, K, K, K)
		p.P("}")
		p.P("}")
	} else {
		g.restoreClamped()
	}
	p.P("}")
}

// drawSites writes the body of a chain's site-by-site draw of a layer with
// lateral couplings. A softmax group's probabilities go to the chain's rows
// of x.save, which the site-by-site samplers do not otherwise use.
func (g *gen) drawSites(c *ir.Conditional) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	if ly.Kind == ir.Softmax {
		K := ly.Categories()
		p.Pf("pr := x.save[ch*%d : ch*%d+%d]", g.maxLayer(), g.maxLayer(), K)
		p.Pf("for grp := 0; grp < %d; grp++ {", ly.Groups())
		p.Pf("if mask != nil && mask[grp*%d] {", K)
		p.P("continue")
		p.P("}")
		p.Pf("for k := 0; k < %d; k++ {", K)
		p.Pf("a, _ := m.fieldSite%s(x, ch, grp*%d+k)", L, K)
		g.tempered(ly, "a", "", fmt.Sprintf("grp*%d+k", K))
		p.P("pr[k] = e")
		p.P("}")
		p.P("runtime.Softmax(pr, pr)")
		p.Pf("clear(row[grp*%d : grp*%d+%d])", K, K, K)
		p.Pf("row[grp*%d+rng.Categorical(pr)] = 1", K)
		p.P("}")
		return
	}
	p.Pf("for u := 0; u < %d; u++ {", S)
	p.P("if mask != nil && mask[u] {")
	p.P("continue")
	p.P("}")
	p.Pf("a, prec := m.fieldSite%s(x, ch, u)", L)
	p.P("_ = prec")
	g.tempered(ly, "a", "prec", "u")
	p.Pf("row[u] = %s", draw(ly, "e", "q"))
	p.P("}")
}

// hold writes Hold, which holds the parameter matrices on the chains'
// workspace.
func (g *gen) hold() {
	p := g.p
	var mats []string
	for _, q := range g.m.Params {
		if len(q.Shape) >= 2 {
			mats = append(mats, "m."+g.P(q))
		}
	}
	p.P("// Hold declares the parameter matrices fixed until x.Workspace.Release")
	p.P("// (runtime.Workspace.Hold): until then the chains' products may read packed")
	p.P("// copies of them made on first use, so the parameters must not change.")
	p.Pf("func (m *%s) Hold(x *%s) {", g.T, g.C)
	for _, w := range mats {
		p.Pf("x.Workspace.Hold(%s)", w)
	}
	p.P("}")
	p.P()
}

// sweep writes Sweep, SweepClamped, Sweeps and the trainer's sweep.
func (g *gen) sweep() {
	p := g.p
	var steps []string
	for i, b := range g.m.Schedule {
		var names []string
		for _, ly := range b.Layers {
			names = append(names, ly.Name)
		}
		steps = append(steps, fmt.Sprintf("%d. {%s}", i+1, joinNames(names)))
	}
	p.Pf("// Sweep runs one sweep of block Gibbs sampling at inverse temperature beta for")
	p.Pf("// the chains in use, sampling the blocks of mutually independent layers in turn:")
	for _, s := range steps {
		p.Pf("//   %s", s)
	}
	p.Pf("func (m *%s) Sweep(x *%s, beta float64) { m.sweep(x, beta, nil, false) }", g.T, g.C)
	p.P()
	p.P("// SweepClamped is Sweep with the units that clamp marks held at their values:")
	p.P("// conditional generation, inpainting, label inference.")
	p.Pf("func (m *%s) SweepClamped(x *%s, beta float64, clamp *%sClamp) { m.sweep(x, beta, clamp, false) }", g.T, g.C, g.T)
	p.P()
	p.P("// Sweeps runs n sweeps at inverse temperature beta with the parameters held")
	p.P("// fixed (Hold) for the run: the products pack the weights once rather than")
	p.P("// on every sweep, and with float32 products a single chain reads float32")
	p.P("// copies of them.")
	p.Pf("func (m *%s) Sweeps(x *%s, beta float64, n int) {", g.T, g.C)
	p.P("if n > 1 {")
	p.P("m.Hold(x)")
	p.P("}")
	p.P("for range n {")
	p.P("m.sweep(x, beta, nil, false)")
	p.P("}")
	p.P("if n > 1 {")
	p.P("x.Workspace.Release()")
	p.P("}")
	p.P("}")
	p.P()
	g.hold()
	p.P("// sweep samples every block; with meanVisible the visible layers get their")
	p.P("// conditional means instead of samples.")
	p.Pf("func (m *%s) sweep(x *%s, beta float64, clamp *%sClamp, meanVisible bool) {", g.T, g.C, g.T)
	p.P("m.sweepFrom(x, beta, clamp, meanVisible, 0)")
	p.P("}")
	p.P()
	p.P("// sweepFrom samples the blocks of the schedule from block start on.")
	p.Pf("func (m *%s) sweepFrom(x *%s, beta float64, clamp *%sClamp, meanVisible bool, start int) {", g.T, g.C, g.T)
	p.Pf("var none %sClamp", g.T)
	p.P("if clamp == nil {")
	p.P("clamp = &none")
	p.P("}")
	for i, b := range g.m.Schedule {
		p.Pf("if start <= %d {", i)
		for _, ly := range b.Layers {
			L := g.L(ly)
			if ly.Visible {
				p.P("if meanVisible {")
				p.Pf("m.setMean%s(x, beta)", L)
				p.P("} else {")
				p.Pf("m.sample%s(x, beta, clamp.%s)", L, L)
				p.P("}")
			} else {
				p.Pf("m.sample%s(x, beta, clamp.%s)", L, L)
			}
		}
		p.P("}")
	}
	p.P("}")
	p.P()
}

func joinNames(ns []string) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// meanField writes MeanField: naive mean-field inference with the visible
// layers clamped, following the Gibbs schedule.
func (g *gen) meanField() {
	p := g.p
	p.P("// MeanField replaces the hidden layers of the chains in use by the means of the")
	p.P("// factorized distribution q(hidden) = Π q(unit) that best fits p(hidden | visible),")
	p.P("// holding the visible layers at their values. Each sweep updates the hidden")
	p.P("// layers in schedule order (site by site where units are coupled) to")
	p.P("// μ ← (1−damping)·E[unit | neighbours at their means] + damping·μ, until no")
	p.P("// mean moves more than tol or after iters sweeps. The means start at zero, so")
	p.P("// the first sweep is a bottom-up pass: each layer hears only the layers")
	p.P("// updated before it (a uniform start lets a wide layer of means ½ swamp the")
	p.P("// fields of its neighbours and leads to worse fixed points).")
	p.P("// It returns the number of sweeps done.")
	p.Pf("func (m *%s) MeanField(x *%s, iters int, tol, damping float64) int {", g.T, g.C)
	hidden := false
	for _, ly := range g.m.Layers {
		if ly.Visible {
			continue
		}
		hidden = true
		L := g.L(ly)
		p.Pf("clear(x.%s[:x.N*%d])", L, ly.Size)
		if ly.Kind == ir.Gaussian {
			p.Pf("clear(x.var%s)", L)
		}
	}
	if !hidden {
		p.P("return 0")
		p.P("}")
		p.P()
		p.P("// MeanFieldFrom is MeanField for a model without hidden layers: it does nothing.")
		p.Pf("func (m *%s) MeanFieldFrom(x *%s, iters int, tol, damping float64) int {", g.T, g.C)
		p.P("return 0")
		p.P("}")
		p.P()
		return
	}
	p.P("return m.MeanFieldFrom(x, iters, tol, damping)")
	p.P("}")
	p.P()
	p.P("// MeanFieldFrom is MeanField started from the means in the hidden layers of")
	p.P("// the chains (a recognition model's guess, say) instead of zero.")
	p.Pf("func (m *%s) MeanFieldFrom(x *%s, iters int, tol, damping float64) int {", g.T, g.C)
	p.P("const beta = 1.0")
	for _, c := range g.m.Conditionals {
		if c.ClampedProducts() {
			p.Pf("m.fieldClamped%s(x)", g.L(c.Layer))
		}
	}
	p.P("for it := 1; it <= iters; it++ {")
	p.P("moved := 0.0")
	for _, b := range g.m.Schedule {
		for _, ly := range b.Layers {
			if !ly.Visible {
				p.Pf("moved = max(moved, m.meanStep%s(x, beta, damping))", g.L(ly))
			}
		}
	}
	p.P("if moved <= tol {")
	p.P("return it")
	p.P("}")
	p.P("}")
	p.P("return iters")
	p.P("}")
	p.P()
	for _, ly := range g.m.Layers {
		if !ly.Visible {
			g.meanStep(g.m.Conditional(ly))
		}
	}
}

// meanStep writes one damped mean-field update of a hidden layer. A layer
// without lateral couplings whose kind has a vector form of its means
// (ir.KindInfo.GoMeans) hands its fields to Workspace.MeanStep, which turns
// them into means in place and moves toward them on the workspace's
// threads; the others update unit by unit.
func (g *gen) meanStep(c *ir.Conditional) {
	ly := c.Layer
	L, S := g.L(ly), ly.Size
	p := g.p
	field := "field"
	if c.ClampedProducts() {
		field = "fieldFree"
	}
	p.Pf("// meanStep%s updates the means of %s and returns the largest change.", L, ly.Name)
	p.Pf("func (m *%s) meanStep%s(x *%s, beta, damping float64) float64 {", g.T, L, g.C)
	if means := ly.Kind.Info().GoMeans; means != "" && !ly.Lateral {
		p.Pf("m.%s%s(x)", field, L)
		p.Pf("return x.Workspace.MeanStep(x.%s[:x.N*%d], x.a%s[:x.N*%d], %s, beta, damping)", L, S, L, S, means)
		p.P("}")
		p.P()
		return
	}
	p.P("moved := 0.0")
	p.P("update := func(old *float64, v float64) {")
	p.P("v = (1-damping)*v + damping**old")
	p.P("moved = max(moved, math.Abs(v-*old))")
	p.P("*old = v")
	p.P("}")
	switch {
	case ly.Lateral && ly.Kind == ir.Softmax:
		K := ly.Categories()
		p.P("for ch := 0; ch < x.N; ch++ {")
		p.Pf("row := x.%s[ch*%d : ch*%d+%d]", L, S, S, S)
		p.Pf("for grp := 0; grp < %d; grp++ {", ly.Groups())
		p.Pf("for k := 0; k < %d; k++ {", K)
		p.Pf("a, _ := m.fieldSite%s(x, ch, grp*%d+k)", L, K)
		p.P("x.prob[k] = beta * a")
		p.P("}")
		p.Pf("runtime.Softmax(x.prob[:%d], x.prob[:%d])", K, K)
		p.Pf("for k := 0; k < %d; k++ {", K)
		p.Pf("update(&row[grp*%d+k], x.prob[k])", K)
		p.P("}")
		p.P("}")
		p.P("}")
	case ly.Lateral:
		p.P("for ch := 0; ch < x.N; ch++ {")
		p.Pf("row := x.%s[ch*%d : ch*%d+%d]", L, S, S, S)
		p.Pf("for u := 0; u < %d; u++ {", S)
		p.Pf("a, prec := m.fieldSite%s(x, ch, u)", L)
		p.P("_ = prec")
		p.Pf("update(&row[u], %s)", activation(ly, "a", "prec"))
		p.P("}")
		p.P("}")
	case ly.Kind == ir.Softmax:
		K := ly.Categories()
		p.Pf("m.%s%s(x)", field, L)
		p.Pf("for grp := 0; grp < x.N*%d; grp++ {", ly.Groups())
		p.Pf("a := x.a%s[grp*%d : grp*%d+%d]", L, K, K, K)
		p.P("for k := range a {")
		p.P("x.prob[k] = beta * a[k]")
		p.P("}")
		p.Pf("runtime.Softmax(x.prob[:%d], x.prob[:%d])", K, K)
		p.Pf("for k := 0; k < %d; k++ {", K)
		p.Pf("update(&x.%s[grp*%d+k], x.prob[k])", L, K)
		p.P("}")
		p.P("}")
	default:
		p.Pf("m.%s%s(x)", field, L)
		p.Pf("for k, a := range x.a%s[:x.N*%d] {", L, S)
		if ly.Kind == ir.Gaussian {
			p.Pf("update(&x.%s[k], a/x.p%s[k])", L, L)
		} else {
			p.Pf("update(&x.%s[k], %s)", L, activation(ly, "a", ""))
		}
		p.P("}")
	}
	p.P("return moved")
	p.P("}")
	p.P()
}
