package ir

import (
	"fmt"
	"math"
	"slices"

	"github.com/ebmc/ebmc/dsl"
)

// Penalty is one L1 term of the energy, Σ_Sum Coef·|Unit|, over a unit of
// a laplace layer. Coef depends on numbers and fixed parameters only and
// is not provably negative: the penalty is convex and its proximal step is
// soft thresholding.
type Penalty struct {
	Coef *Expr
	Unit UnitRef // Abs is set
	Sum  []*Index
	Pos  dsl.Pos
}

// Sparse is the derivation that MAP inference of the laplace layer h of a
// model needs. With the visible units v fixed, the energy splits into a
// smooth part, quadratic in h, and the L1 penalty:
//
//	E(v, h) = f(v, h) + g(h)
//	f(v, h) = ½·hᵀ·Q(v)·h − b(v)ᵀ·h + c(v)
//	g(h)    = Σ_u λ_u·|h_u|
//
// so that ∇_h f = Q·h − b, the Lipschitz constant of ∇_h f is the largest
// eigenvalue of Q, and the proximal step of t·g is soft thresholding,
// h_u ← sign(z_u)·max(|z_u| − t·λ_u, 0). Q is symmetric: Q_uw = ∂²f/∂h_u∂h_w.
// Every part is a sum of contributions over the index variables Unit (the
// unit u) and, for Q's off-diagonal parts, the index variables of w that
// the contribution's one remaining unit of h carries.
type Sparse struct {
	Layer *Layer
	Unit  []*Index // the index variables of u (those of the layer's Conditional)
	// Diagonal are Q_uu's contributions (the conditional's precision P_u);
	// Coupling are −Q_uw for w ≠ u, each with exactly one unit of h among
	// its Units (the conditional's field contributions that hold h).
	Diagonal, Coupling []*Contribution
	// Linear are b_u's contributions (the field contributions without h).
	Linear []*Contribution
	// Constant are the terms without a unit of h: c(v).
	Constant []*Term
	// Threshold are λ_u's contributions, read off the penalties.
	Threshold []*Contribution
	// SharedHessian reports that Q holds no visible unit: it is one matrix
	// for every data row, computed once per parameter setting.
	SharedHessian bool
}

// abs lowers abs(ARG): ARG must be one unit of a laplace layer, times a
// number at most.
func (l *lowerer) abs(e *dsl.Call, sc scope) ([]mono, bool) {
	xs, ok := l.expand(e.Arg, sc)
	if !ok {
		return nil, false
	}
	bad := func(why string) ([]mono, bool) {
		l.errorf(e.Func.Pos, "abs(…) %s; abs applies to one unit of a laplace layer, as in + lambda * sum(j) abs(h[j]), the L1 term of sparse coding", why)
		return nil, false
	}
	if len(xs) != 1 || len(xs[0].units) != 1 || len(xs[0].sum) > 0 || xs[0].abs {
		if len(xs) == 1 && len(xs[0].units) == 0 && len(xs[0].sum) == 0 {
			return bad("of parameters is not supported")
		}
		return bad("must hold exactly one unit, not a sum, product or expression of several")
	}
	x := xs[0]
	u := x.units[0]
	if u.Layer.Kind != Laplace {
		return bad(fmt.Sprintf("of %s: %s is a %s layer", refString(u), u.Layer.Name, u.Layer.Kind))
	}
	if x.coef.Op != OpConst {
		return bad(fmt.Sprintf("of %s times a parameter: write the parameter outside, λ·abs(%s)", refString(u), refString(u)))
	}
	u.Abs = true
	return []mono{{coef: Num(math.Abs(x.coef.Value)), units: []UnitRef{u}, abs: true}}, true
}

// absProduct refuses the product of an L1 term x with y when y holds units:
// the penalty must be a coefficient times |unit|.
func (l *lowerer) absProduct(x, y mono, pos dsl.Pos) bool {
	if !x.abs || len(y.units) == 0 {
		return true
	}
	l.errorf(pos, "|%s| multiplied by %s: an L1 term must be a coefficient of parameters times |unit|, so that its proximal step is soft thresholding",
		refString(x.units[0]), refString(y.units[0]))
	return false
}

// penalty records an L1 term, refusing trained parameters and provably
// negative coefficients in it.
func (l *lowerer) penalty(mo mono) {
	u := mo.units[0]
	for _, r := range mo.coef.ParamRefs() {
		if !r.Param.Fixed {
			l.errorf(u.Pos, "the L1 term of %s reads param %s, which is trained: minimizing the energy would drive it to 0; declare it fixed (param %s … fixed)",
				refString(u), r.Param.Name, r.Param.Name)
			return
		}
	}
	if s := mo.coef.Sign(); s == SignNegative {
		l.errorf(u.Pos, "the coefficient of |%s| is negative: the energy is then not convex in %s and has no proximal step; write + lambda * sum(…) abs(%s) with lambda ≥ 0",
			refString(u), u.Layer.Name, refString(u))
		return
	}
	l.m.Penalties = append(l.m.Penalties, &Penalty{Coef: mo.coef, Unit: u, Sum: mo.sum, Pos: u.Pos})
}

// laplaceLayer returns the model's laplace layer, or nil.
func (m *Model) laplaceLayer() *Layer {
	for _, ly := range m.Layers {
		if ly.Kind == Laplace {
			return ly
		}
	}
	return nil
}

// checkLaplace refuses the models with laplace units that MAP inference by
// proximal gradient does not cover; it reports whether the model passed.
func (l *lowerer) checkLaplace() bool {
	m := l.m
	h := m.laplaceLayer()
	if h == nil {
		return true
	}
	ok := true
	for _, ly := range m.Layers {
		switch {
		case ly.Kind == Laplace && ly.Visible:
			l.errorf(ly.Pos, "laplace layer %s is visible: laplace units are inferred by MAP, so they must be hidden", ly.Name)
			ok = false
		case ly.Kind == Laplace && ly != h:
			l.errorf(ly.Pos, "laplace layer %s: a model has at most one laplace layer (%s is declared at %d:%d)", ly.Name, h.Name, h.Pos.Line, h.Pos.Column)
			ok = false
		case ly.Kind != Laplace && !ly.Visible:
			l.errorf(ly.Pos, "hidden layer %s is %s: in a model with laplace layer %s every hidden layer must be laplace, since MAP inference of %s given the visible layers cannot sum %s out",
				ly.Name, ly.Kind, h.Name, h.Name, ly.Name)
			ok = false
		}
	}
	penalized := false
	for _, p := range m.Penalties {
		penalized = penalized || p.Unit.Layer == h
	}
	if !penalized {
		names := make([]string, len(h.Shape))
		for d := range names {
			names[d] = string(rune('i' + d))
		}
		l.errorf(h.Pos, "laplace layer %s has no L1 term in the energy; add one such as + lambda * sum(%s) abs(%s) (or declare %s gaussian)",
			h.Name, joinComma(names), h.Name+"["+joinComma(names)+"]", h.Name)
		ok = false
	}
	ok = l.penaltySigns() && ok
	for _, t := range m.Terms {
		deg := 0
		for _, u := range t.Units {
			if u.Layer.Kind == Laplace {
				deg += u.Power
			}
		}
		if deg > 2 {
			l.errorf(t.Pos, "this term is of degree %d in the units of laplace layer %s: MAP inference by proximal gradient needs the energy at most quadratic in them jointly, so that the gradient of its smooth part is Lipschitz", deg, h.Name)
			ok = false
		}
	}
	return ok
}

// penaltySigns refuses an L1 coefficient that is negative at the declared
// initial values of its (fixed) parameters, for penalties of at most 10⁶
// summands; Solve refuses one that becomes negative later.
func (l *lowerer) penaltySigns() bool {
	m := l.m
	p := m.NewParams()
	m.InitParams(p, 1)
	at := m.at()
	ok := true
	for _, pen := range m.Penalties {
		n := 1
		for _, ix := range pen.Sum {
			n *= ix.Size
		}
		if n > 1_000_000 {
			continue
		}
		neg := math.NaN()
		forEach(pen.Sum, nil, at, func() {
			if c := pen.Coef.Eval(p, at); c < 0 && math.IsNaN(neg) {
				neg = c
			}
		})
		if !math.IsNaN(neg) {
			u := pen.Unit
			l.errorf(u.Pos, "the coefficient of |%s| is %.4g at the declared initial values: the energy is then not convex in %s and has no proximal step; the L1 coefficient must be ≥ 0",
				refString(u), neg, u.Layer.Name)
			ok = false
		}
	}
	return ok
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// deriveSparse splits the laplace layer's conditional into the parts of
// Sparse and reads the thresholds off the penalties.
func (l *lowerer) deriveSparse() {
	m := l.m
	h := m.laplaceLayer()
	if h == nil {
		return
	}
	c := m.Conditionals[h.Index]
	s := &Sparse{Layer: h, Unit: c.Unit, Diagonal: c.Precision, SharedHessian: true}
	holds := func(ct *Contribution) bool {
		return slices.ContainsFunc(ct.Units, func(u UnitRef) bool { return u.Layer == h })
	}
	for _, ct := range c.Field {
		if holds(ct) {
			s.Coupling = append(s.Coupling, ct)
			s.SharedHessian = s.SharedHessian && len(ct.Units) == 1
		} else {
			s.Linear = append(s.Linear, ct)
		}
	}
	for _, ct := range c.Precision {
		s.SharedHessian = s.SharedHessian && len(ct.Units) == 0
	}
	for _, t := range m.Terms {
		if !slices.ContainsFunc(t.Units, func(u UnitRef) bool { return u.Layer == h }) {
			s.Constant = append(s.Constant, t)
		}
	}
	for _, p := range m.Penalties {
		t := &Term{Coef: p.Coef, Units: []UnitRef{p.Unit}, Sum: p.Sum, Pos: p.Pos}
		s.Threshold = append(s.Threshold, contributionAt(t, 0, s.Unit))
	}
	m.Sparse = s
}

// Method names an inference method that a model's derivation may refuse.
type Method int

const (
	GibbsConditional Method = iota // p(x_u | rest), for Gibbs sampling
	MeanFieldUpdate                // q(x_u) ∝ exp(E_q[log p(x_u | rest)])
	FreeEnergySum                  // F = −log ∫ exp(−E) over a layer
	ExactLogZ                      // log Z by enumeration or integration
	Sampling                       // any MCMC over every layer: Gibbs, Metropolis, Langevin, CD training
)

var methodNames = [...]string{"a Gibbs conditional", "a mean-field update", "a free energy", "log Z", "sampling"}

func (w Method) String() string { return methodNames[w] }

// Refusal says why method w does not apply to m, as an error positioned at
// the L1 term that rules it out and naming the unit and the term that
// couples it; nil when w applies (every model without a laplace layer).
func (m *Model) Refusal(w Method) *dsl.Error {
	s := m.Sparse
	if s == nil || len(m.Penalties) == 0 {
		return nil
	}
	pen := m.Penalties[0]
	u := printer{style: Plain}.indexed(s.Layer.Name, s.Unit)
	term := printer{style: Plain}.penalty(pen)
	coupled, coupling := "", ""
	for _, ct := range append(slices.Clone(s.Coupling), s.Diagonal...) {
		coupled = fmt.Sprintf(", and the term at %d:%d couples %s to %s", ct.Term.Pos.Line, ct.Term.Pos.Column, u, unitsOf(ct, s.Layer))
		coupling = fmt.Sprintf(" and the term at %d:%d coupling %s to %s", ct.Term.Pos.Line, ct.Term.Pos.Column, u, unitsOf(ct, s.Layer))
		break
	}
	var why string
	switch w {
	case GibbsConditional:
		why = fmt.Sprintf("p(%s | rest) is not derived: the L1 term %s makes it a two-sided truncated Normal, which no generated sampler draws%s", u, term, coupled)
	case MeanFieldUpdate:
		why = fmt.Sprintf("no mean-field update is derived for %s: the L1 term %s has no closed-form expectation under a factorized q%s", u, term, coupled)
	case FreeEnergySum:
		why = fmt.Sprintf("no free energy sums %s out: with the L1 term %s%s, ∫ exp(−E) d%s has no closed form", s.Layer.Name, term, coupling, s.Layer.Name)
	case ExactLogZ:
		why = fmt.Sprintf("log Z is not derived: with the L1 term %s%s, Z neither enumerates nor integrates in closed form", term, coupling)
	case Sampling:
		why = fmt.Sprintf("sampling is not derived: %s has no Gibbs conditional, because of the L1 term %s%s", u, term, coupled)
	}
	return dsl.Errorf(pen.Pos, "laplace layer %s: %s; infer %s by MAP instead (proximal gradient: ISTA or FISTA, package runtime/sparse)", s.Layer.Name, why, s.Layer.Name)
}

// unitsOf writes the units that a contribution to h's field or precision
// multiplies: "itself (its square)", "the other units of h", "v[i]".
func unitsOf(ct *Contribution, h *Layer) string {
	if len(ct.Units) == 0 {
		return "itself (its square)"
	}
	var names []string
	for _, u := range ct.Units {
		if u.Layer == h {
			names = append(names, "the other units of "+h.Name)
		} else {
			names = append(names, refString(u))
		}
	}
	return joinComma(names)
}

// penalty writes Σ coef·|x| in plain style.
func (pr printer) penalty(p *Penalty) string {
	neg, s := pr.monomial(p.Coef, []UnitRef{p.Unit}, p.Sum, nil)
	if neg {
		return "−" + s
	}
	return s
}

// PenaltyString writes the L1 terms, g = Σ λ·|x|.
func (m *Model) PenaltyString() string {
	var items []string
	var negs []bool
	for _, p := range m.Penalties {
		neg, s := printer{style: Plain}.monomial(p.Coef, []UnitRef{p.Unit}, p.Sum, nil)
		items, negs = append(items, s), append(negs, neg)
	}
	return printer{style: Plain}.series(items, negs)
}

// Penalty is g(h) = Σ λ·|h|, the L1 terms of the energy at state x.
func (m *Model) Penalty(p Params, x State) float64 {
	at := m.at()
	g := 0.0
	val := stateValue(x)
	absVal := func(u UnitRef, at []int) float64 { return math.Abs(val(u, at)) }
	for _, pen := range m.Penalties {
		g += sumProduct(pen.Coef, []UnitRef{pen.Unit}, pen.Sum, nil, p, absVal, at)
	}
	return g
}

// Quadratic evaluates the derived smooth part at the visible units of x:
// Q (n×n, row-major, n the laplace layer's size), b and c, with
// f(v, h) = ½·hᵀQh − bᵀh + c. It panics for a model without a laplace layer.
func (m *Model) Quadratic(p Params, x State) (q, b []float64, c float64) {
	s := m.Sparse
	n := s.Layer.Size
	q, b = make([]float64, n*n), make([]float64, n)
	val := stateValue(x)
	at := m.at()
	for k := 0; k < n; k++ {
		setUnit(s.Unit, s.Layer.Shape, k, at)
		for _, ct := range s.Diagonal {
			q[k*n+k] += sumProduct(ct.Coef, ct.Units, ct.Sum, ct.Distinct, p, val, at)
		}
		for _, ct := range s.Linear {
			b[k] += sumProduct(ct.Coef, ct.Units, ct.Sum, ct.Distinct, p, val, at)
		}
		// −Q_kw is the coefficient of h_w in the coupling contributions:
		// evaluate them with h set to the unit vector e_w.
		for w := 0; w < n; w++ {
			onehot := func(u UnitRef, at []int) float64 {
				if u.Layer != s.Layer {
					return val(u, at)
				}
				if offset(u.Layer.Shape, u.Index, at) == w {
					return 1
				}
				return 0
			}
			for _, ct := range s.Coupling {
				q[k*n+w] -= sumProduct(ct.Coef, ct.Units, ct.Sum, ct.Distinct, p, onehot, at)
			}
		}
	}
	for _, t := range s.Constant {
		c += sumProduct(t.Coef, t.Units, t.Sum, t.Distinct, p, val, at)
	}
	return q, b, c
}

// Thresholds evaluates λ_u for every unit of the laplace layer.
func (m *Model) Thresholds(p Params) []float64 {
	s := m.Sparse
	lam := make([]float64, s.Layer.Size)
	at := m.at()
	val := func(UnitRef, []int) float64 { return 1 }
	for k := range lam {
		setUnit(s.Unit, s.Layer.Shape, k, at)
		for _, ct := range s.Threshold {
			lam[k] += sumProduct(ct.Coef, ct.Units, ct.Sum, ct.Distinct, p, val, at)
		}
	}
	return lam
}
