package ir

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Style selects how maths is written.
type Style int

const (
	Plain Style = iota // Unicode text: Σ_{i,j} W[i,j]·v[i]·h[j]
	LaTeX              // \sum_{i,j} W_{i,j} v_{i} h_{j}
)

// printer writes expressions in one style. names holds display names for
// summation indices that would otherwise clash with other indices in view.
type printer struct {
	style Style
	names map[*Index]string
}

func (pr printer) name(ix *Index) string {
	if n, ok := pr.names[ix]; ok {
		return n
	}
	return ix.Name
}

// withNames returns a printer that shows the indices of sum under names that
// differ from each other and from every other index in the monomial.
func (pr printer) withNames(sum []*Index, coef *Expr, units []UnitRef) printer {
	taken := map[string]bool{}
	inSum := map[*Index]bool{}
	for _, ix := range sum {
		inSum[ix] = true
	}
	mark := func(idx []*Index) {
		for _, ix := range idx {
			if !inSum[ix] {
				taken[ix.Name] = true
			}
		}
	}
	for _, r := range coef.ParamRefs() {
		mark(r.Index)
	}
	for _, u := range units {
		mark(u.Index)
	}
	out := printer{style: pr.style, names: map[*Index]string{}}
	for _, ix := range sum {
		n := ix.Name
		for taken[n] {
			n += "′"
		}
		taken[n] = true
		out.names[ix] = n
	}
	return out
}

func (pr printer) latex() bool { return pr.style == LaTeX }

// number formats v compactly: 2, 0.5, 1e-08.
func number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func (pr printer) indexed(name string, idx []*Index) string {
	if len(idx) == 0 {
		return name
	}
	names := make([]string, len(idx))
	for i, ix := range idx {
		names[i] = pr.name(ix)
	}
	if pr.latex() {
		return fmt.Sprintf("%s_{%s}", name, strings.Join(names, ","))
	}
	return fmt.Sprintf("%s[%s]", name, strings.Join(names, ","))
}

// Expression precedence: sums 1, products 2, powers 3, atoms 4.
func exprPrec(e *Expr) int {
	switch e.Op {
	case OpAdd:
		return 1
	case OpMul, OpDiv:
		return 2
	case OpPow:
		return 3
	case OpConst:
		if e.Value < 0 {
			return 1
		}
	}
	return 4
}

func (pr printer) expr(e *Expr, min int) string {
	s := pr.exprRaw(e)
	if exprPrec(e) < min {
		if pr.latex() {
			return `\left(` + s + `\right)`
		}
		return "(" + s + ")"
	}
	return s
}

func (pr printer) exprRaw(e *Expr) string {
	switch e.Op {
	case OpConst:
		return number(e.Value)
	case OpParam:
		return pr.indexed(e.Param.Name, e.Index)
	case OpAdd:
		var b strings.Builder
		for i, a := range e.Args {
			neg, abs := splitSign(a)
			switch {
			case i == 0 && neg:
				b.WriteString("−")
			case i > 0 && neg:
				b.WriteString(" − ")
			case i > 0:
				b.WriteString(" + ")
			}
			b.WriteString(pr.expr(abs, 2))
		}
		return b.String()
	case OpMul:
		neg, abs := splitSign(e)
		if neg {
			return "−" + pr.expr(abs, 3)
		}
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = pr.expr(a, 3)
		}
		if pr.latex() {
			return strings.Join(parts, ` \, `)
		}
		return strings.Join(parts, "·")
	case OpDiv:
		if pr.latex() {
			return `\frac{` + pr.exprRaw(e.Args[0]) + `}{` + pr.exprRaw(e.Args[1]) + `}`
		}
		return pr.expr(e.Args[0], 2) + "/" + pr.expr(e.Args[1], 3)
	case OpPow:
		if pr.latex() {
			return pr.expr(e.Args[0], 4) + "^{" + number(e.Value) + "}"
		}
		return pr.expr(e.Args[0], 4) + superscript(e.Value)
	}
	name := map[Op]string{OpExp: "exp", OpLog: "log", OpSoftplus: "softplus", OpSigmoid: "σ", OpSqrt: "√"}[e.Op]
	if pr.latex() {
		switch e.Op {
		case OpSqrt:
			return `\sqrt{` + pr.exprRaw(e.Args[0]) + `}`
		case OpSigmoid:
			return `\sigma\left(` + pr.exprRaw(e.Args[0]) + `\right)`
		case OpSoftplus:
			return `\operatorname{softplus}\left(` + pr.exprRaw(e.Args[0]) + `\right)`
		}
		return `\` + name + `\left(` + pr.exprRaw(e.Args[0]) + `\right)`
	}
	return name + "(" + pr.exprRaw(e.Args[0]) + ")"
}

// splitSign returns whether e has a negative numeric factor, and |e|.
func splitSign(e *Expr) (bool, *Expr) {
	switch {
	case e.Op == OpConst && e.Value < 0:
		return true, Num(-e.Value)
	case e.Op == OpMul && e.Args[0].Op == OpConst && e.Args[0].Value < 0:
		return true, Mul(append([]*Expr{Num(-e.Args[0].Value)}, e.Args[1:]...)...)
	case e.Op == OpDiv:
		if neg, abs := splitSign(e.Args[0]); neg {
			return true, &Expr{Op: OpDiv, Args: []*Expr{abs, e.Args[1]}}
		}
	}
	return false, e
}

func superscript(v float64) string {
	if v != math.Trunc(v) {
		return "^" + number(v)
	}
	digits := map[rune]rune{'0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻'}
	var b strings.Builder
	for _, r := range number(v) {
		b.WriteRune(digits[r])
	}
	return b.String()
}

func (pr printer) unit(u UnitRef) string {
	s := pr.indexed(u.Layer.Name, u.Index)
	if u.Abs {
		if pr.latex() {
			return `\lvert ` + s + ` \rvert`
		}
		return "|" + s + "|"
	}
	if u.Power == 2 {
		if pr.latex() {
			return s + "^{2}"
		}
		return s + "²"
	}
	return s
}

// sum writes Σ over the indices, with distinct constraints under the sign.
func (pr printer) sum(sum []*Index, distinct []Distinct) string {
	if len(sum) == 0 {
		return ""
	}
	var names []string
	for _, ix := range sum {
		names = append(names, pr.name(ix))
	}
	sub := strings.Join(names, ",")
	for _, d := range distinct {
		sub += ": " + pr.tuple(d.A) + "≠" + pr.tuple(d.B)
		if pr.latex() {
			sub = strings.ReplaceAll(sub, "≠", `\neq `)
		}
	}
	if pr.latex() {
		return `\sum_{` + sub + `} `
	}
	return "Σ_{" + sub + "} "
}

func (pr printer) tuple(idx []*Index) string {
	if len(idx) == 1 {
		return pr.name(idx[0])
	}
	names := make([]string, len(idx))
	for i, ix := range idx {
		names[i] = pr.name(ix)
	}
	return "(" + strings.Join(names, ",") + ")"
}

// monomial writes Σ coef·Π units and reports whether its sign was pulled out.
func (pr printer) monomial(coef *Expr, units []UnitRef, sum []*Index, distinct []Distinct) (neg bool, s string) {
	pr = pr.withNames(sum, coef, units)
	neg, abs := splitSign(coef)
	var parts []string
	if !abs.IsConst(1) || len(units) == 0 {
		parts = append(parts, pr.expr(abs, 2))
	}
	for _, u := range units {
		parts = append(parts, pr.unit(u))
	}
	sep := "·"
	if pr.latex() {
		sep = ` \, `
	}
	return neg, pr.sum(sum, distinct) + strings.Join(parts, sep)
}

// series writes a signed sum of monomials; an empty one is 0.
func (pr printer) series(items []string, negs []bool) string {
	if len(items) == 0 {
		return "0"
	}
	var b strings.Builder
	minus := "−"
	if pr.latex() {
		minus = "-"
	}
	for i, s := range items {
		switch {
		case i == 0 && negs[i]:
			b.WriteString(minus)
		case i > 0 && negs[i]:
			b.WriteString(" " + minus + " ")
		case i > 0:
			b.WriteString(" + ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// Terms writes the normalized energy.
func (pr printer) terms(ts []*Term) string {
	var items []string
	var negs []bool
	for _, t := range ts {
		neg, s := pr.monomial(t.Coef, t.Units, t.Sum, t.Distinct)
		items, negs = append(items, s), append(negs, neg)
	}
	return pr.series(items, negs)
}

func (pr printer) contributions(cs []*Contribution) string {
	var items []string
	var negs []bool
	for _, c := range cs {
		neg, s := pr.monomial(c.Coef, c.Units, c.Sum, c.Distinct)
		items, negs = append(items, s), append(negs, neg)
	}
	return pr.series(items, negs)
}

// ExprString writes e in plain style.
func ExprString(e *Expr) string { return printer{style: Plain}.exprRaw(e) }

// String writes the normalized energy in plain style.
// The L1 terms of a model with a laplace layer follow the smooth part.
func (m *Model) String() string {
	s := printer{style: Plain}.terms(m.Terms)
	if len(m.Penalties) > 0 {
		s += " + " + m.PenaltyString()
	}
	return s
}
