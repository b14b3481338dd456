package ir

import (
	"fmt"
	"slices"
	"strings"
)

func (l *lowerer) derive() {
	m := l.m
	if !l.checkLaplace() {
		return
	}
	l.graph()
	m.Schedule = schedule(m)
	for _, ly := range m.Layers {
		m.Conditionals = append(m.Conditionals, l.conditional(ly))
	}
	for _, b := range m.Schedule {
		if m.laplaceLayer() != nil {
			break // no free energy with a laplace layer (Model.Refusal)
		}
		if fe := freeEnergy(m, b); fe != nil {
			m.FreeEnergies = append(m.FreeEnergies, fe)
		}
	}
	l.deriveSparse()
	// Each term's parameter occurrences, read once: a model with n
	// parameters in one sum would otherwise rescan it n times.
	occs := map[*Param][]termRef{}
	for _, t := range m.Terms {
		for _, occ := range t.Coef.ParamRefs() {
			occs[occ.Param] = append(occs[occ.Param], termRef{t, occ})
		}
	}
	for _, p := range m.Params {
		if !p.Fixed {
			m.Gradients = append(m.Gradients, gradient(p, occs[p]))
		}
	}
	m.plan()
}

// termRef is an occurrence of a parameter in the coefficient of a term.
type termRef struct {
	t   *Term
	occ *Expr
}

// graph marks which layers interact and which have lateral couplings.
func (l *lowerer) graph() {
	m := l.m
	n := len(m.Layers)
	m.Interacts = make([][]bool, n)
	for i := range m.Interacts {
		m.Interacts[i] = make([]bool, n)
	}
	for _, t := range m.Terms {
		for a, ra := range t.Units {
			for _, rb := range t.Units[a+1:] {
				if ra.Layer == rb.Layer {
					ra.Layer.Lateral = true
					continue
				}
				m.Interacts[ra.Layer.Index][rb.Layer.Index] = true
				m.Interacts[rb.Layer.Index][ra.Layer.Index] = true
			}
		}
	}
}

// schedule colours the layer graph so that no block holds two interacting
// layers: a bipartite graph (RBM, DBM) gets two blocks, the one without the
// visible layers first; otherwise colours are assigned greedily.
func schedule(m *Model) []*Block {
	n := len(m.Layers)
	color := make([]int, n)
	for i := range color {
		color[i] = -1
	}
	bipartite := true
	// Breadth-first 2-colouring from the visible layers.
	var queue []int
	for _, ly := range m.Layers {
		if ly.Visible {
			color[ly.Index] = 0
			queue = append(queue, ly.Index)
		}
	}
	for start := 0; ; start++ {
		for len(queue) > 0 {
			a := queue[0]
			queue = queue[1:]
			for b := 0; b < n; b++ {
				if !m.Interacts[a][b] {
					continue
				}
				switch color[b] {
				case -1:
					color[b] = 1 - color[a]
					queue = append(queue, b)
				case color[a]:
					bipartite = false
				}
			}
		}
		for start < n && color[start] != -1 {
			start++
		}
		if start >= n {
			break
		}
		color[start] = 1
		queue = append(queue, start)
	}
	if !bipartite {
		for i := range color {
			color[i] = -1
		}
		for _, ly := range m.Layers {
			used := map[int]bool{}
			for b := 0; b < n; b++ {
				if m.Interacts[ly.Index][b] && color[b] >= 0 {
					used[color[b]] = true
				}
			}
			c := 0
			for used[c] {
				c++
			}
			color[ly.Index] = c
		}
	}
	ncolors := slices.Max(color) + 1
	blocks := make([]*Block, ncolors)
	for c := range blocks {
		blocks[c] = &Block{}
	}
	for _, ly := range m.Layers {
		blocks[color[ly.Index]].Layers = append(blocks[color[ly.Index]].Layers, ly)
	}
	// Sample the block holding the visible layers last: v → h → v.
	var out []*Block
	for c := ncolors - 1; c >= 0; c-- {
		if len(blocks[c].Layers) > 0 {
			out = append(out, blocks[c])
		}
	}
	return out
}

// conditional reads p(L_u | rest) off the energy: every term holding a
// reference to L contributes, with that reference's indices renamed to u.
func (l *lowerer) conditional(ly *Layer) *Conditional {
	c := &Conditional{Layer: ly, Family: ly.Kind.Info().Family}
	for d, n := range ly.Shape {
		name := unitName(l.m, ly, d)
		c.Unit = append(c.Unit, l.newIndex(name, n, ly.Pos))
	}
	for _, t := range l.m.Terms {
		for r, ref := range t.Units {
			if ref.Layer != ly {
				continue
			}
			ct := contributionAt(t, r, c.Unit)
			switch ref.Power {
			case 1:
				ct.Coef = Neg(ct.Coef)
				c.Field = append(c.Field, ct)
			case 2:
				ct.Coef = Mul(Num(2), ct.Coef)
				c.Precision = append(c.Precision, ct)
			}
		}
	}
	if ly.Kind == Gaussian || ly.Kind == Laplace {
		l.checkPrecision(c)
	}
	return c
}

// unitName picks the index name the energy uses most for dimension d of a layer.
func unitName(m *Model, ly *Layer, d int) string {
	for _, t := range m.Terms {
		for _, u := range t.Units {
			if u.Layer == ly {
				return u.Index[d].Name
			}
		}
	}
	return "u"
}

// contributionAt is term t with its r-th unit reference taken out and that
// reference's index variables renamed to unit.
func contributionAt(t *Term, r int, unit []*Index) *Contribution {
	ref := t.Units[r]
	sub := map[*Index]*Index{}
	for d, ix := range ref.Index {
		sub[ix] = unit[d]
	}
	ct := &Contribution{Term: t, Coef: t.Coef.Substitute(sub)}
	for k, u := range t.Units {
		if k != r {
			ct.Units = append(ct.Units, UnitRef{Layer: u.Layer, Index: substIndices(u.Index, sub), Power: u.Power, Pos: u.Pos})
		}
	}
	for _, ix := range t.Sum {
		if _, bound := sub[ix]; !bound {
			ct.Sum = append(ct.Sum, ix)
		}
	}
	for _, d := range t.Distinct {
		ct.Distinct = append(ct.Distinct, Distinct{A: substIndices(d.A, sub), B: substIndices(d.B, sub)})
	}
	return ct
}

func (l *lowerer) checkPrecision(c *Conditional) {
	ly := c.Layer
	pr := printer{style: Plain}
	x := pr.indexed(ly.Name, c.Unit)
	names := make([]string, len(c.Unit))
	for i, ix := range c.Unit {
		names[i] = ix.Name
	}
	square := fmt.Sprintf("sum(%s) %s^2 / 2", strings.Join(names, ", "), x)
	if len(c.Precision) == 0 {
		if ly.Kind == Laplace {
			l.errorf(ly.Pos, "laplace layer %s has no quadratic term in the energy, so its MAP need not exist and the smooth part has no curvature to step by; add a term such as %s (the ½‖v − D·%s‖² of sparse coding has one)", ly.Name, square, ly.Name)
			return
		}
		l.errorf(ly.Pos, "gaussian layer %s has no quadratic term in the energy, so p(%s | rest) is not normalizable; add a term such as %s", ly.Name, ly.Name, square)
		return
	}
	// The precision is the sum of all the contributions: reject it when the
	// state-independent ones are provably not positive in total.
	var first *Contribution
	var coefs []*Expr
	nonPositive := true
	for _, p := range c.Precision {
		if len(p.Units) > 0 {
			continue
		}
		if first == nil {
			first = p
		}
		s := p.Coef.Sign()
		if len(p.Sum) > 0 || len(p.Distinct) > 0 {
			nonPositive = nonPositive && (s == SignNegative || s == SignZero)
			continue
		}
		coefs = append(coefs, p.Coef)
	}
	if len(coefs) > 0 {
		s := Add(coefs...).Sign()
		nonPositive = nonPositive && (s == SignNegative || s == SignZero)
	}
	if first != nil && nonPositive && ly.Kind == Laplace {
		l.errorf(first.Term.Pos, "laplace layer %s: the coefficient of %s² is negative, so the energy is not convex in %s and MAP inference is ill-posed; write + %s",
			ly.Name, x, ly.Name, square)
	} else if first != nil && nonPositive {
		l.errorf(first.Term.Pos, "gaussian layer %s: the coefficient of %s² is negative, so p(%s | rest) is not a Normal distribution; its precision must be positive, as in + %s",
			ly.Name, x, ly.Name, square)
	}
}

// freeEnergy sums the layers of b out, when none of them has lateral couplings.
func freeEnergy(m *Model, b *Block) *FreeEnergy {
	for _, ly := range b.Layers {
		if ly.Lateral {
			return nil
		}
	}
	fe := &FreeEnergy{SumOut: b.Layers}
	for _, ly := range m.Layers {
		if !slices.Contains(b.Layers, ly) {
			fe.Keep = append(fe.Keep, ly)
		}
	}
	for _, t := range m.Terms {
		if !slices.ContainsFunc(t.Units, func(u UnitRef) bool { return slices.Contains(b.Layers, u.Layer) }) {
			fe.Rest = append(fe.Rest, t)
		}
	}
	return fe
}

// gradient differentiates every term through every occurrence of p.
func gradient(p *Param, refs []termRef) *Gradient {
	g := &Gradient{Param: p}
	for _, r := range refs {
		t := r.t
		g.Parts = append(g.Parts, &GradPart{
			Contribution: Contribution{Term: t, Coef: Deriv(t.Coef, r.occ), Units: t.Units, Sum: t.Sum, Distinct: t.Distinct},
			Wrt:          r.occ,
		})
	}
	return g
}

// Conditional returns the conditional of layer ly.
func (m *Model) Conditional(ly *Layer) *Conditional { return m.Conditionals[ly.Index] }

// Layer returns the layer named name, or nil.
func (m *Model) Layer(name string) *Layer {
	for _, ly := range m.Layers {
		if ly.Name == name {
			return ly
		}
	}
	return nil
}

// Param returns the param named name, or nil.
func (m *Model) Param(name string) *Param {
	for _, p := range m.Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}
