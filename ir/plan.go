package ir

// Plans: how a derived sum is computed over a batch of chains. A field
// contribution or a gradient part that is a matrix product over the batch
// carries a plan, which lowering attaches, explain shows and code
// generators print; every other sum is a loop nest over its indices.

// Scaling is a product of parameter-only factors Π Num / Π Den that depend
// on one index at most.
type Scaling struct{ Num, Den []*Expr }

// Empty reports whether the scaling is 1.
func (s Scaling) Empty() bool { return len(s.Num) == 0 && len(s.Den) == 0 }

// MatVec plans a field contribution
//
//	a[u] += Coef · Row(u) · Σ_s P[s, u] · Col(s) · x[s]   (P[u, s] when Transposed)
//
// with x a layer (Neighbour) indexed by the summed index alone: over a batch
// X of chains, the matrix product Coef · (X·diag Col)·P (·Pᵀ), its rows
// scaled by Row.
type MatVec struct {
	Param      *Param
	Coef       float64
	Neighbour  *Layer
	Transposed bool // P is laid out [unit, neighbour]
	Unit, Sum  *Index
	Row, Col   Scaling
}

// Scaled reports whether the product has parameter-dependent scales.
func (k *MatVec) Scaled() bool { return !k.Row.Empty() || !k.Col.Empty() }

// Outer plans a gradient part
//
//	∂θ[i, j] += Coef · FA(i) · FB(j) · a[i] · b[j]
//
// with a and b two different layers indexed by i and j alone: over a batch
// A, B of chains (weighted), the product Coef · (A·diag FA)ᵀ·(B·diag FB).
type Outer struct {
	A, B   *Layer
	IA, IB *Index
	Coef   float64
	FA, FB Scaling
}

// Scaled reports whether the product has parameter-dependent scales.
func (o *Outer) Scaled() bool { return !o.FA.Empty() || !o.FB.Empty() }

// RowSum plans a gradient part ∂θ[i] += Coef · x[i], θ as long as the
// one-dimensional layer of x: over a batch, Coef times the sum of its rows.
type RowSum struct {
	Coef  float64
	Layer *Layer
}

// plan attaches the plans of the model's conditionals and gradients.
func (m *Model) plan() {
	for _, c := range m.Conditionals {
		for _, ct := range c.Field {
			ct.MatVec = matVecOf(ct, c.Unit)
		}
	}
	for _, g := range m.Gradients {
		for _, part := range g.Parts {
			part.Outer = outerOf(part)
			part.RowSum = rowSumOf(part, g.Param)
		}
	}
}

// matVecOf returns the plan of a field contribution that is a matrix
// product, or nil.
func matVecOf(ct *Contribution, unit []*Index) *MatVec {
	if len(unit) != 1 || len(ct.Units) != 1 || len(ct.Distinct) != 0 || len(ct.Sum) != 1 {
		return nil
	}
	nb := ct.Units[0]
	if nb.Power != 1 || len(nb.Index) != 1 || nb.Index[0] != ct.Sum[0] || nb.Layer.Kind == Softmax && len(nb.Layer.Shape) > 1 {
		return nil
	}
	c, num, den := SplitCoef(ct.Coef)
	for _, q := range num {
		if q.Op != OpParam || len(q.Index) != 2 {
			continue
		}
		k := &MatVec{Param: q.Param, Coef: c, Neighbour: nb.Layer, Unit: unit[0], Sum: ct.Sum[0]}
		switch {
		case q.Index[0] == unit[0] && q.Index[1] == ct.Sum[0]:
			k.Transposed = true
		case q.Index[0] == ct.Sum[0] && q.Index[1] == unit[0]:
		default:
			continue
		}
		var ok bool
		if k.Row, k.Col, ok = splitScaling(num, den, q, unit[0], ct.Sum[0]); ok {
			return k
		}
	}
	return nil
}

// outerOf returns the plan of a gradient part that is an outer product of
// two layers, or nil.
func outerOf(part *GradPart) *Outer {
	if len(part.Units) != 2 || len(part.Distinct) != 0 || len(part.Sum) != 2 || len(part.Wrt.Index) != 2 {
		return nil
	}
	u, w := part.Units[0], part.Units[1]
	if u.Layer == w.Layer || u.Power != 1 || w.Power != 1 || len(u.Index) != 1 || len(w.Index) != 1 {
		return nil
	}
	if u.Layer.Kind == Softmax && len(u.Layer.Shape) > 1 || w.Layer.Kind == Softmax && len(w.Layer.Shape) > 1 {
		return nil
	}
	var o Outer
	switch {
	case part.Wrt.Index[0] == u.Index[0] && part.Wrt.Index[1] == w.Index[0]:
		o = Outer{A: u.Layer, B: w.Layer, IA: u.Index[0], IB: w.Index[0]}
	case part.Wrt.Index[0] == w.Index[0] && part.Wrt.Index[1] == u.Index[0]:
		o = Outer{A: w.Layer, B: u.Layer, IA: w.Index[0], IB: u.Index[0]}
	default:
		return nil
	}
	c, num, den := SplitCoef(part.Coef)
	var ok bool
	o.Coef = c
	if o.FA, o.FB, ok = splitScaling(num, den, nil, o.IA, o.IB); !ok {
		return nil
	}
	return &o
}

// rowSumOf returns the plan of a gradient part that is c·x[i] accumulated
// into θ[i], θ as long as the layer of x, or nil.
func rowSumOf(part *GradPart, q *Param) *RowSum {
	if len(part.Units) != 1 || len(part.Distinct) != 0 || len(part.Sum) != 1 || len(part.Wrt.Index) != 1 {
		return nil
	}
	u := part.Units[0]
	if u.Power != 1 || len(u.Index) != 1 || u.Index[0] != part.Wrt.Index[0] || part.Sum[0] != u.Index[0] {
		return nil
	}
	if len(u.Layer.Shape) != 1 || len(q.Shape) != 1 || q.Size != u.Layer.Size {
		return nil
	}
	c, num, den := SplitCoef(part.Coef)
	if len(num) != 0 || len(den) != 0 {
		return nil
	}
	return &RowSum{Coef: c, Layer: u.Layer}
}

// SplitCoef returns the numeric factor and the multiplicative factors of a
// coefficient in factor-normal form (see Mul): c · Π num / Π den.
func SplitCoef(e *Expr) (c float64, num, den []*Expr) {
	c = 1
	collect := func(e *Expr, into *[]*Expr, inverse bool) {
		args := []*Expr{e}
		if e.Op == OpMul {
			args = e.Args
		}
		for _, a := range args {
			switch {
			case a.Op == OpConst && inverse:
				c /= a.Value
			case a.Op == OpConst:
				c *= a.Value
			default:
				*into = append(*into, a)
			}
		}
	}
	if e.Op == OpDiv {
		collect(e.Args[0], &num, false)
		collect(e.Args[1], &den, true)
		return c, num, den
	}
	collect(e, &num, false)
	return c, num, nil
}

// IndicesOf lists the indices of the parameter references in e.
func IndicesOf(e *Expr) []*Index {
	var out []*Index
	for _, r := range e.ParamRefs() {
		out = append(out, r.Index...)
	}
	return out
}

// splitScaling sorts the factors of a coefficient other than skip into
// those indexed by a (or by nothing) and those indexed by b; ok is false if
// a factor has another index or both.
func splitScaling(num, den []*Expr, skip *Expr, a, b *Index) (sa, sb Scaling, ok bool) {
	place := func(f *Expr, inverse bool) bool {
		onA, onB := false, false
		for _, ix := range IndicesOf(f) {
			switch ix {
			case a:
				onA = true
			case b:
				onB = true
			default:
				return false
			}
		}
		into := &sa
		switch {
		case onA && onB:
			return false
		case onB:
			into = &sb
		}
		if inverse {
			into.Den = append(into.Den, f)
		} else {
			into.Num = append(into.Num, f)
		}
		return true
	}
	for _, f := range num {
		if f != skip && !place(f, false) {
			return sa, sb, false
		}
	}
	for _, f := range den {
		if !place(f, true) {
			return sa, sb, false
		}
	}
	return sa, sb, true
}

// ClampedProducts reports whether mean field computes the field of c's
// layer in two parts: the part the clamped visible layers fix, once per
// call, and the rest in every sweep. That pays when a matrix product
// (MatVec) comes from a visible layer; layers with lateral couplings,
// updated site by site, are not split.
func (c *Conditional) ClampedProducts() bool {
	if c.Layer.Visible || c.Layer.Lateral {
		return false
	}
	for _, ct := range c.Field {
		if ct.MatVec != nil && ct.MatVec.Neighbour.Visible {
			return true
		}
	}
	return false
}
