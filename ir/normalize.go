package ir

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// normalize applies the identities of each unit kind to a term and splits
// lateral couplings into their off-diagonal and diagonal parts:
//
//	bernoulli x² = x,  spin s² = 1,  softmax x_c·x_d = δ_cd·x_c (one group),
//	gaussian powers stay (at most 2).
//
// Two references to one layer under different indices, Σ_{i,k} J_ik x_i x_k,
// become Σ_{i≠k} J_ik x_i x_k + Σ_i J_ii x_i², and the diagonal is reduced
// again by the identities.
func (l *lowerer) normalize(t *Term) []*Term {
	for _, d := range t.Distinct {
		if slices.Equal(d.A, d.B) {
			return nil // the constraint can never hold
		}
	}
	for a := 0; a < len(t.Units); a++ {
		for b := a + 1; b < len(t.Units); b++ {
			ra, rb := t.Units[a], t.Units[b]
			if ra.Layer != rb.Layer {
				continue
			}
			if slices.Equal(ra.Index, rb.Index) {
				return l.normalize(l.merge(t, a, b))
			}
			sel := unitTuple(ra.Layer)
			ta, tb := sel(ra.Index), sel(rb.Index)
			if slices.Equal(ta, tb) {
				// Softmax: same group, different categories: x_c·x_d = δ_cd·x_c.
				return l.normalize(unify(t, ra.Index, rb.Index))
			}
			if t.distinct(ta, tb) {
				continue
			}
			diag := unify(t, ta, tb)
			off := t.clone()
			off.Distinct = append(off.Distinct, Distinct{A: ta, B: tb})
			return append(l.normalize(diag), l.normalize(off)...)
		}
	}
	return []*Term{t}
}

// unitTuple selects the indices that tell units apart for the purpose of
// lateral couplings: all of them, or a softmax layer's group indices.
func unitTuple(ly *Layer) func([]*Index) []*Index {
	if ly.Kind == Softmax {
		return func(idx []*Index) []*Index { return idx[:len(idx)-1] }
	}
	return func(idx []*Index) []*Index { return idx }
}

func (t *Term) distinct(a, b []*Index) bool {
	for _, d := range t.Distinct {
		if slices.Equal(d.A, a) && slices.Equal(d.B, b) || slices.Equal(d.A, b) && slices.Equal(d.B, a) {
			return true
		}
	}
	return false
}

func (t *Term) clone() *Term {
	return &Term{Coef: t.Coef, Units: slices.Clone(t.Units), Sum: slices.Clone(t.Sum), Distinct: slices.Clone(t.Distinct), Pos: t.Pos}
}

// unify returns t restricted to a = b elementwise: each variable of b is
// replaced by its counterpart in a and is no longer summed over.
func unify(t *Term, a, b []*Index) *Term {
	sub := map[*Index]*Index{}
	resolve := func(ix *Index) *Index {
		for {
			s, ok := sub[ix]
			if !ok {
				return ix
			}
			ix = s
		}
	}
	for k := range a {
		x, y := resolve(a[k]), resolve(b[k])
		if x != y {
			sub[y] = x
		}
	}
	flat := map[*Index]*Index{}
	for k := range sub {
		flat[k] = resolve(k)
	}
	out := &Term{Coef: t.Coef.Substitute(flat), Units: substUnits(t.Units, flat), Pos: t.Pos}
	for _, ix := range t.Sum {
		if _, gone := flat[ix]; !gone {
			out.Sum = append(out.Sum, ix)
		}
	}
	for _, d := range t.Distinct {
		out.Distinct = append(out.Distinct, Distinct{A: substIndices(d.A, flat), B: substIndices(d.B, flat)})
	}
	return out
}

// merge multiplies the identical references a and b of t into one and applies
// the kind's identity to the power.
func (l *lowerer) merge(t *Term, a, b int) *Term {
	out := t.clone()
	r := out.Units[a]
	r.Power += out.Units[b].Power
	out.Units = slices.Delete(out.Units, b, b+1)
	switch r.Layer.Kind {
	case Bernoulli, Softmax:
		r.Power = 1
	case Spin:
		r.Power %= 2
	case Gaussian, Laplace:
		if r.Power > 2 {
			why := "the conditional of gaussian layer %[3]s must be Normal"
			if r.Layer.Kind == Laplace {
				why = "MAP inference of laplace layer %[3]s needs a smooth part with a Lipschitz gradient"
			}
			l.errorf(t.Units[b].Pos, "%[1]s appears to power %[2]d in one term: "+why+", so the energy can be at most quadratic in each of its units",
				refString(r), r.Power, r.Layer.Name)
			r.Power = 2
		}
	}
	if r.Power == 0 {
		out.Units = slices.Delete(out.Units, a, a+1)
	} else {
		out.Units[a] = r
	}
	return out
}

// checkUse reports layers and params the energy never mentions.
func (l *lowerer) checkUse() {
	usedLayer := map[*Layer]bool{}
	usedParam := map[*Param]bool{}
	var mark func(*Expr)
	mark = func(e *Expr) {
		if e.Op == OpParam {
			usedParam[e.Param] = true
		}
		for _, a := range e.Args {
			mark(a)
		}
	}
	for _, t := range l.m.Terms {
		for _, u := range t.Units {
			usedLayer[u.Layer] = true
		}
		mark(t.Coef)
	}
	for _, pen := range l.m.Penalties {
		usedLayer[pen.Unit.Layer] = true
		mark(pen.Coef)
	}
	for _, ly := range l.m.Layers {
		if !usedLayer[ly] {
			l.errorf(ly.Pos, "layer %s does not appear in the energy (or its terms cancel); use it or remove it", ly.Name)
		}
	}
	for _, p := range l.m.Params {
		if !usedParam[p] {
			l.errorf(p.Pos, "param %s does not appear in the energy (or its terms cancel); use it or remove it", p.Name)
		}
	}
}

// collect merges terms that differ only in their coefficient and in the
// names of their summed indices, adding the coefficients, and drops terms
// whose coefficient is zero. Units are put in declaration order first, so
// that v[i]·h[j] and h[j]·v[i] are alike, and so are Σ_i b[i]·v[i] and
// Σ_k b[k]·v[k] written as two sums.
func collect(ts []*Term) []*Term {
	var out []*Term
	byKey := map[string]*Term{}
	orders := map[*Term][]*Index{}
	// The coefficients of the terms merged into each, added at the end in
	// one Add: adding them one at a time re-normalizes the growing sum at
	// every step, quadratic in the number of terms.
	more := map[*Term][]*Expr{}
	for _, t := range ts {
		slices.SortStableFunc(t.Units, func(a, b UnitRef) int { return cmp.Compare(a.Layer.Index, b.Layer.Index) })
		order := t.canonicalOrder()
		k := t.shapeKey(order)
		if prev, ok := byKey[k]; ok {
			// Equal keys: renaming t's summed indices, position by position,
			// to prev's turns t's units, sums and constraints into prev's.
			sub := map[*Index]*Index{}
			for i, ix := range order {
				sub[ix] = orders[prev][i]
			}
			more[prev] = append(more[prev], t.Coef.Substitute(sub))
			continue
		}
		c := t.clone()
		byKey[k] = c
		orders[c] = order
		out = append(out, c)
	}
	for _, c := range out {
		if m := more[c]; len(m) > 0 {
			c.Coef = Add(append([]*Expr{c.Coef}, m...)...)
		}
	}
	return slices.DeleteFunc(out, func(t *Term) bool { return t.Coef.IsConst(0) })
}

// canonicalOrder lists t's summed indices in order of first use: in the
// units, the constraints, the coefficient, then the rest of the sum.
func (t *Term) canonicalOrder() []*Index {
	var order []*Index
	add := func(idx []*Index) {
		for _, ix := range idx {
			if slices.Contains(t.Sum, ix) && !slices.Contains(order, ix) {
				order = append(order, ix)
			}
		}
	}
	for _, u := range t.Units {
		add(u.Index)
	}
	for _, d := range t.Distinct {
		add(d.A)
		add(d.B)
	}
	for _, r := range t.Coef.ParamRefs() {
		add(r.Index)
	}
	add(t.Sum)
	return order
}

// shapeKey identifies a term's units, sums and constraints, with summed
// indices named by their position in order.
func (t *Term) shapeKey(order []*Index) string {
	var b strings.Builder
	ids := func(idx []*Index) {
		for _, ix := range idx {
			if k := slices.Index(order, ix); k >= 0 {
				fmt.Fprintf(&b, "s%d,", k)
			} else {
				fmt.Fprintf(&b, "f%d,", ix.ID)
			}
		}
		b.WriteByte(';')
	}
	for _, u := range t.Units {
		fmt.Fprintf(&b, "%s^%d:", u.Layer.Name, u.Power)
		ids(u.Index)
	}
	b.WriteByte('|')
	for _, ix := range order {
		fmt.Fprintf(&b, "%d,", ix.Size)
	}
	b.WriteByte('|')
	for _, d := range t.Distinct {
		ids(d.A)
		ids(d.B)
	}
	return b.String()
}
