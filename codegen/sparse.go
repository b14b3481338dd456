package codegen

import (
	"fmt"
	"slices"

	"github.com/ebmc/ebmc/ir"
)

// sparseModel writes the code of a model with a laplace layer h: what MAP
// inference of h by proximal gradient and dictionary learning need (the
// quadratic smooth part Q, b, c, the thresholds λ and their proximal step,
// the energy and its parameter gradient), and none of the samplers, mean
// field, free energies or log Z, which ir refuses for it (Model.Refusal).
// runtime/sparse drives it.
func (g *gen) sparseModel() []byte {
	g.p = &printer{}
	s := g.m.Sparse
	g.headerComment()
	p := g.p
	p.Pf("package %s", g.opts.Package)
	p.P()
	p.P("import (")
	p.P(`"math"`)
	p.P()
	p.Pf("%q", RuntimeImport)
	p.P(")")
	p.P()
	p.P("// The runtime this code was generated for; a mismatched runtime fails to compile here.")
	p.P("const _ = runtime.EnforceVersion1")
	p.P()
	g.consts()
	g.paramsType()

	h := s.Layer
	n := h.Size
	nv := g.visibleSize()
	u := printerUnit(s)
	p.P("// VisibleSize is the number of values in one data row: the visible layers")
	p.P("// in declaration order.")
	p.Pf("func (m *%s) VisibleSize() int { return %d }", g.T, nv)
	p.P()
	p.Pf("// CodeSize is the number of units of laplace layer %s, inferred by MAP.", h.Name)
	p.Pf("func (m *%s) CodeSize() int { return %d }", g.T, n)
	p.P()
	p.Pf("// SharedHessian reports whether Q holds no visible unit (%v here): then", s.SharedHessian)
	p.P("// one Q serves every data row until the parameters change.")
	p.Pf("func (m *%s) SharedHessian() bool { return %v }", g.T, s.SharedHessian)
	p.P()
	for _, line := range []string{
		fmt.Sprintf("With the visible units v fixed, E(v, %s) = f + g: the smooth part", h.Name),
		fmt.Sprintf("f = ½·%sᵀQ%s − bᵀ%s + c and the L1 part g = Σ λ·|%s|:", h.Name, h.Name, h.Name, u),
		"",
		"\tf = " + printTerms(g.m.Terms),
		"\tg = " + g.m.PenaltyString(),
		"",
	} {
		p.P("// ", line)
	}
	p.Pf("// Hessian writes Q = ∂²f/∂%s² into dst (%d×%d, row-major), reading the", h.Name, n, n)
	p.Pf("// visible row v (nil will do when SharedHessian):")
	p.P("//")
	p.Pf("//\tQ[%s, %s] = %s", u, u, s.DiagonalString())
	if len(s.Coupling) > 0 {
		p.Pf("//\tQ[%s, ·] off the diagonal: the coefficients of %s in −(%s)", u, h.Name, s.CouplingString())
	}
	p.Pf("func (m *%s) Hessian(v, dst []float64) {", g.T)
	p.Pf("rowQ := dst[:%d]", n*n)
	p.P("clear(rowQ)")
	g.sparseRows(s.SharedHessian, false)
	em := g.sparseEmitter()
	shape2 := append(slices.Clone(h.Shape), h.Shape...)
	for _, ct := range s.Diagonal {
		em.emit(sum{Coef: ct.Coef, Units: ct.Units, Loop: append(slices.Clone(s.Unit), ct.Sum...), Distinct: ct.Distinct,
			Dst: "rowQ", DstIndex: append(slices.Clone(s.Unit), s.Unit...), DstShape: shape2})
	}
	for _, ct := range s.Coupling {
		var other []ir.UnitRef
		var w []*ir.Index
		for _, r := range ct.Units {
			if r.Layer == h {
				w = r.Index
			} else {
				other = append(other, r)
			}
		}
		em.emit(sum{Coef: ct.Coef, Units: other, Loop: append(slices.Clone(s.Unit), ct.Sum...), Distinct: ct.Distinct,
			Dst: "rowQ", DstIndex: append(slices.Clone(s.Unit), w...), DstShape: shape2, Sub: true})
	}
	p.P("}")
	p.P()

	p.Pf("// Linear writes b into dst (%d values) and returns c, at the visible row v:", n)
	p.P("//")
	p.Pf("//\tb[%s] = %s", u, s.LinearString())
	p.Pf("//\tc = %s", printTerms(s.Constant))
	p.Pf("func (m *%s) Linear(v, dst []float64) float64 {", g.T)
	p.Pf("rowB := dst[:%d]", n)
	p.P("clear(rowB)")
	g.sparseRows(false, false)
	for _, ct := range s.Linear {
		em.emit(sum{Coef: ct.Coef, Units: ct.Units, Loop: append(slices.Clone(s.Unit), ct.Sum...), Distinct: ct.Distinct,
			Dst: "rowB", DstIndex: slices.Clone(s.Unit), DstShape: h.Shape})
	}
	p.P("e := 0.0")
	for _, t := range s.Constant {
		em.emit(sum{Coef: t.Coef, Units: t.Units, Loop: t.Sum, Distinct: t.Distinct, Dst: "e"})
	}
	p.P("return e")
	p.P("}")
	p.P()

	p.Pf("// Thresholds writes the coefficients λ of the L1 term into dst (%d values):", n)
	p.P("//")
	p.Pf("//\tλ[%s] = %s", u, s.ThresholdString())
	p.Pf("func (m *%s) Thresholds(dst []float64) {", g.T)
	p.Pf("rowLam := dst[:%d]", n)
	p.P("clear(rowLam)")
	for _, ct := range s.Threshold {
		em.emit(sum{Coef: ct.Coef, Units: ct.Units, Loop: append(slices.Clone(s.Unit), ct.Sum...), Distinct: ct.Distinct,
			Dst: "rowLam", DstIndex: slices.Clone(s.Unit), DstShape: h.Shape})
	}
	p.P("}")
	p.P()

	prox := fmt.Sprintf(h.Kind.Info().GoProx, "x[k]", "t*lam[k]")
	p.P("// Prox applies the proximal operator of t·g to the code x, unit by unit,")
	p.P("// with the thresholds lam (Thresholds): soft thresholding,")
	p.P("//")
	p.Pf("//\tx[k] ← sign(x[k])·max(|x[k]| − t·λ[k], 0) = argmin_y ½(y − x[k])² + t·λ[k]·|y|.")
	p.Pf("func (m *%s) Prox(x, lam []float64, t float64) {", g.T)
	p.Pf("x, lam = x[:%d], lam[:%d]", n, n)
	p.P("for k := range x {")
	p.Pf("x[k] = %s", prox)
	p.P("}")
	p.P("}")
	p.P()

	p.Pf("// Energy returns E(v, x) for the visible row v and the code x of %s:", h.Name)
	p.P("//")
	p.Pf("//\tE = %s", g.m.String())
	p.Pf("func (m *%s) Energy(v, x []float64) float64 {", g.T)
	g.sparseRows(false, true)
	p.P("e := 0.0")
	for _, t := range g.m.Terms {
		em.emit(sum{Coef: t.Coef, Units: t.Units, Loop: t.Sum, Distinct: t.Distinct, Dst: "e"})
	}
	for _, pen := range g.m.Penalties {
		em.emit(sum{Coef: pen.Coef, Units: []ir.UnitRef{pen.Unit}, Loop: pen.Sum, Dst: "e"})
	}
	p.P("return e")
	p.P("}")
	p.P()

	p.P("// EnergyGrad adds scale·∂E/∂θ at (v, x) into the trained parameters of g")
	p.P("// (tensors in Params order; fixed ones are left alone):")
	p.P("//")
	for _, gr := range g.m.Gradients {
		p.P("//\t", gr.String())
	}
	p.Pf("func (m *%s) EnergyGrad(v, x []float64, scale float64, g []runtime.Tensor) {", g.T)
	if len(g.m.Gradients) > 0 {
		g.sparseRows(false, true)
	}
	for _, gr := range g.m.Gradients {
		q := gr.Param
		p.Pf("rowG%d := g[%d].Data[:%d]", q.Index, q.Index, q.Size)
		for _, part := range gr.Parts {
			em.emit(sum{Coef: part.Coef, Units: part.Units, Loop: part.Sum, Distinct: part.Distinct,
				Dst: fmt.Sprintf("rowG%d", q.Index), DstIndex: part.Wrt.Index, DstShape: q.Shape, Scale: "scale"})
		}
	}
	p.P("}")
	p.P()
	return p.buf.Bytes()
}

// sparseRows declares rowIn (the visible row) and, with code, rowCode.
func (g *gen) sparseRows(noVisible, code bool) {
	if noVisible {
		g.p.P("_ = v")
	} else {
		g.p.Pf("rowIn := v[:%d]", g.visibleSize())
		g.p.P("_ = rowIn")
	}
	if code {
		g.p.Pf("rowCode := x[:%d]", g.m.Sparse.Layer.Size)
		g.p.P("_ = rowCode")
	}
}

// sparseEmitter reads visible units from rowIn (the layers in declaration
// order), the laplace layer from rowCode, |x| as math.Abs.
func (g *gen) sparseEmitter() *emitter {
	offsets := map[*ir.Layer]int{}
	o := 0
	for _, ly := range g.m.Layers {
		if ly.Visible {
			offsets[ly] = o
			o += ly.Size
		}
	}
	return &emitter{
		p: g.p,
		unit: func(u ir.UnitRef, off string) string {
			var read string
			if u.Layer.Visible {
				if o := offsets[u.Layer]; o > 0 {
					off = fmt.Sprintf("%d + %s", o, off)
				}
				read = fmt.Sprintf("rowIn[%s]", off)
			} else {
				read = fmt.Sprintf("rowCode[%s]", off)
			}
			if u.Abs {
				return "math.Abs(" + read + ")"
			}
			return read
		},
		par: func(q *ir.Param, off string) string { return fmt.Sprintf("m.%s[%s]", g.P(q), off) },
	}
}

// printerUnit writes the generic unit of the laplace layer: h[k].
func printerUnit(s *ir.Sparse) string {
	c := &ir.Conditional{Layer: s.Layer, Unit: s.Unit}
	return c.UnitString()
}

// printTerms writes terms in plain style.
func printTerms(ts []*ir.Term) string {
	if len(ts) == 0 {
		return "0"
	}
	m := &ir.Model{Terms: ts}
	return m.String()
}
