package ir

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ebmc/ebmc/dsl"
	"github.com/ebmc/ebmc/internal/suggest"
)

// A monomial during expansion: Σ_{sum} coef · Π units.
type mono struct {
	coef  *Expr
	units []UnitRef
	sum   []*Index
	abs   bool // an L1 term: coef·|units[0]|, units[0] of a laplace layer
}

// scope maps index names to the variables bound by the enclosing sums.
type scope map[string]*Index

func (l *lowerer) energy() {
	src := l.file.Energies[0].Expr
	l.m.Source = src
	nerrs := len(l.errs)
	monos, ok := l.expand(src, scope{})
	if !ok {
		return
	}
	for _, mo := range monos {
		if mo.coef.IsConst(0) {
			continue
		}
		if mo.abs {
			l.penalty(mo)
			continue
		}
		if !l.checkSoftmaxGroups(mo) {
			continue
		}
		t := &Term{Coef: mo.coef, Units: mo.units, Sum: mo.sum, Pos: firstPos(mo, src)}
		l.m.Terms = append(l.m.Terms, l.normalize(t)...)
	}
	l.m.Terms = collect(l.m.Terms)
	if len(l.errs) == nerrs {
		// After an error in the energy, some terms are missing: do not
		// report their layers and params as unused.
		l.checkUse()
	}
}

func firstPos(mo mono, src dsl.Expr) dsl.Pos {
	if len(mo.units) > 0 {
		return mo.units[0].Pos
	}
	return src.Position()
}

func (l *lowerer) newIndex(name string, size int, pos dsl.Pos) *Index {
	ix := &Index{Name: name, ID: len(l.m.Indices), Size: size, Pos: pos}
	l.m.Indices = append(l.m.Indices, ix)
	return ix
}

// expand writes e as a sum of monomials that are products of unit references
// with parameter-only coefficients. Numbers are folded as they are met, so a
// coefficient that is not finite (log(0), 1/0) is reported where it appears.
func (l *lowerer) expand(e dsl.Expr, sc scope) ([]mono, bool) {
	xs, ok := l.expandNode(e, sc)
	if !ok {
		return nil, false
	}
	if b, sum := e.(*dsl.Binary); sum && (b.Op == '+' || b.Op == '-') && len(xs) > 1 {
		// The operands' monomials, each checked where it was expanded:
		// checking them again at every '+' of a long sum would take time
		// quadratic in its length.
		return xs, true
	}
	for _, x := range xs {
		if v, bad := nonFinite(x.coef); bad {
			l.errorf(e.Position(), "this expression evaluates to %g, which is not a finite number; check for a division by zero or a function outside its domain", v)
			return nil, false
		}
	}
	return xs, true
}

// nonFinite finds a number in e that is infinite or not a number.
func nonFinite(e *Expr) (float64, bool) {
	if e.Op == OpConst || e.Op == OpPow {
		if math.IsInf(e.Value, 0) || math.IsNaN(e.Value) {
			return e.Value, true
		}
	}
	for _, a := range e.Args {
		if v, bad := nonFinite(a); bad {
			return v, true
		}
	}
	return 0, false
}

func (l *lowerer) expandNode(e dsl.Expr, sc scope) ([]mono, bool) {
	switch e := e.(type) {
	case *dsl.Number:
		return []mono{{coef: Num(e.Value)}}, true
	case *dsl.Ref:
		return l.ref(e, sc)
	case *dsl.Unary:
		xs, ok := l.expand(e.X, sc)
		for i := range xs {
			xs[i].coef = Neg(xs[i].coef)
		}
		return xs, ok
	case *dsl.Call:
		if e.Func.Name == "abs" {
			return l.abs(e, sc)
		}
		op, known := functions[e.Func.Name]
		if !known {
			if _, isParam := l.params[e.Func.Name]; isParam {
				l.errorf(e.Func.Pos, "%s is a param, not a function; index it with %s[i]", e.Func.Name, e.Func.Name)
			} else {
				l.errorf(e.Func.Pos, "unknown function %s (expected exp, log, softplus, sqrt or abs%s)", e.Func.Name, didYouMean(e.Func.Name, "exp", "log", "softplus", "sqrt", "abs"))
			}
			return nil, false
		}
		arg, ok := l.paramOnly(e.Arg, sc, e.Func.Name+"(…)", "exp, log, softplus and sqrt apply to parameters only, so that the energy stays a polynomial in the units")
		if !ok {
			return nil, false
		}
		return []mono{{coef: Func(op, arg)}}, true
	case *dsl.Sum:
		return l.sum(e, sc)
	case *dsl.Binary:
		return l.binary(e, sc)
	}
	panic(fmt.Sprintf("ir: unexpected expression %T", e))
}

func (l *lowerer) binary(e *dsl.Binary, sc scope) ([]mono, bool) {
	switch e.Op {
	case '+', '-':
		xs, ok1 := l.expand(e.X, sc)
		ys, ok2 := l.expand(e.Y, sc)
		if !ok1 || !ok2 {
			return nil, false
		}
		if e.Op == '-' {
			for i := range ys {
				ys[i].coef = Neg(ys[i].coef)
			}
		}
		if len(xs) == 1 && len(ys) == 1 && xs[0].plain() && ys[0].plain() && !xs[0].abs && !ys[0].abs {
			return []mono{{coef: Add(xs[0].coef, ys[0].coef)}}, true
		}
		return append(xs, ys...), true
	case '*':
		xs, ok1 := l.expand(e.X, sc)
		ys, ok2 := l.expand(e.Y, sc)
		if !ok1 || !ok2 {
			return nil, false
		}
		return l.product(xs, ys, e.Pos)
	case '/':
		xs, ok1 := l.expand(e.X, sc)
		den, ok2 := l.paramOnly(e.Y, sc, "a denominator", "divide by parameters only, so that the energy stays a polynomial in the units")
		if !ok1 || !ok2 {
			return nil, false
		}
		if den.IsConst(0) {
			l.errorf(e.Pos, "division by zero")
			return nil, false
		}
		for i := range xs {
			xs[i].coef = Div(xs[i].coef, den)
		}
		return xs, true
	case '^':
		return l.power(e, sc)
	}
	panic("ir: unexpected operator " + string(e.Op))
}

// plain reports whether m is a bare coefficient: no units, no sum.
func (m mono) plain() bool { return len(m.units) == 0 && len(m.sum) == 0 && !m.abs }

func (l *lowerer) product(xs, ys []mono, pos dsl.Pos) ([]mono, bool) {
	if len(xs)*len(ys) > maxTermsPerSum {
		l.errorf(pos, "this product expands into %d terms; at most %d are supported", len(xs)*len(ys), maxTermsPerSum)
		return nil, false
	}
	var out []mono
	for _, x := range xs {
		for _, y := range ys {
			if !l.absProduct(x, y, pos) || !l.absProduct(y, x, pos) {
				return nil, false
			}
			out = append(out, mono{
				abs:   x.abs || y.abs,
				coef:  Mul(x.coef, y.coef),
				units: append(slices.Clone(x.units), y.units...),
				sum:   append(slices.Clone(x.sum), y.sum...),
			})
		}
	}
	return out, true
}

func (l *lowerer) power(e *dsl.Binary, sc scope) ([]mono, bool) {
	exp, ok := l.paramOnly(e.Y, sc, "an exponent", "exponents are numbers")
	if !ok {
		return nil, false
	}
	if exp.Op != OpConst {
		l.errorf(e.Y.Position(), "exponent must be a number, not an expression of parameters")
		return nil, false
	}
	n := exp.Value
	xs, ok := l.expand(e.X, sc)
	if !ok {
		return nil, false
	}
	if len(xs) == 1 && xs[0].plain() {
		return []mono{{coef: Pow(xs[0].coef, n)}}, true
	}
	if n != math.Trunc(n) || n < 0 || n > MaxPower {
		l.errorf(e.Y.Position(), "a power of an expression holding units needs a whole exponent from 0 to %d, not %g", MaxPower, n)
		return nil, false
	}
	for _, x := range xs {
		if x.abs && n != 1 {
			u := x.units[0]
			l.errorf(e.Pos, "|%s|^%g: an L1 term may not be raised to a power; the energy takes λ·|%s| (the proximal step of a power is not soft thresholding)", refString(u), n, refString(u))
			return nil, false
		}
	}
	out := []mono{{coef: Num(1)}}
	for k := 0; k < int(n); k++ {
		var copyOK bool
		if out, copyOK = l.product(out, l.rename(xs), e.Pos); !copyOK {
			return nil, false
		}
	}
	return out, true
}

// rename returns xs with fresh variables for the indices their sums bind,
// so that the copies of a power do not share summation variables.
func (l *lowerer) rename(xs []mono) []mono {
	out := make([]mono, len(xs))
	for i, x := range xs {
		sub := map[*Index]*Index{}
		for _, ix := range x.sum {
			n := l.newIndex(ix.Name, ix.Size, ix.Pos)
			l.where[n] = l.where[ix]
			sub[ix] = n
		}
		out[i] = mono{coef: x.coef.Substitute(sub), units: substUnits(x.units, sub), sum: substIndices(x.sum, sub), abs: x.abs}
	}
	return out
}

func substUnits(us []UnitRef, sub map[*Index]*Index) []UnitRef {
	out := make([]UnitRef, len(us))
	for i, u := range us {
		out[i] = UnitRef{Layer: u.Layer, Index: substIndices(u.Index, sub), Power: u.Power, Abs: u.Abs, Pos: u.Pos}
	}
	return out
}

// paramOnly expands e and requires the result to be a coefficient: no
// units and no sums. what names the place, why says what to do.
func (l *lowerer) paramOnly(e dsl.Expr, sc scope, what, why string) (*Expr, bool) {
	xs, ok := l.expand(e, sc)
	if !ok {
		return nil, false
	}
	var terms []*Expr
	for _, x := range xs {
		if len(x.units) > 0 {
			u := x.units[0]
			l.errorf(u.Pos, "unit %s inside %s: %s", u.Layer.Name, what, why)
			return nil, false
		}
		if len(x.sum) > 0 {
			l.errorf(e.Position(), "sum inside %s is not supported; %s", what, why)
			return nil, false
		}
		terms = append(terms, x.coef)
	}
	return Add(terms...), true
}

func (l *lowerer) sum(e *dsl.Sum, sc scope) ([]mono, bool) {
	inner := scope{}
	for k, v := range sc {
		inner[k] = v
	}
	var bound []*Index
	for _, id := range e.Indices {
		if prev, ok := inner[id.Name]; ok && slices.Contains(bound, prev) {
			l.errorf(id.Pos, "index %s appears twice in sum(…); bind each index once, e.g. sum(i, j) for two indices", id.Name)
			return nil, false
		}
		if prev, ok := inner[id.Name]; ok {
			l.errorf(id.Pos, "index %s is already bound by the sum at %d:%d; use another name", id.Name, prev.Pos.Line, prev.Pos.Column)
			return nil, false
		}
		if l.isDeclared(id.Name) {
			l.errorf(id.Pos, "index %s has the name of a declared %s; use another name", id.Name, l.whatIs(id.Name))
			return nil, false
		}
		ix := l.newIndex(id.Name, 0, id.Pos)
		inner[id.Name] = ix
		bound = append(bound, ix)
	}
	xs, ok := l.expand(e.Body, inner)
	if !ok {
		return nil, false
	}
	for _, ix := range bound {
		if ix.Size == 0 {
			l.errorf(ix.Pos, "index %s is not used in the sum's term, so its range is unknown; remove it from sum(…)", ix.Name)
			return nil, false
		}
	}
	for i := range xs {
		xs[i].sum = append(slices.Clone(bound), xs[i].sum...)
	}
	return xs, true
}

func (l *lowerer) isDeclared(name string) bool {
	_, c := l.consts[name]
	_, ly := l.layers[name]
	_, p := l.params[name]
	return c || ly || p
}

func (l *lowerer) whatIs(name string) string {
	if _, ok := l.consts[name]; ok {
		return "const"
	}
	if _, ok := l.layers[name]; ok {
		return "layer"
	}
	return "param"
}

func (l *lowerer) ref(e *dsl.Ref, sc scope) ([]mono, bool) {
	if v, ok := l.consts[e.Name]; ok {
		if len(e.Indices) > 0 {
			l.errorf(e.Pos, "const %s is a number and cannot be indexed; write %s", e.Name, e.Name)
			return nil, false
		}
		return []mono{{coef: Num(float64(v))}}, true
	}
	if _, ok := sc[e.Name]; ok {
		l.errorf(e.Pos, "index %s used as a value; indices can only appear inside [ ]", e.Name)
		return nil, false
	}
	if l.broken[e.Name] {
		return nil, false // its declaration has an error, reported there
	}
	var shape []int
	var what string
	layer, isLayer := l.layers[e.Name]
	param, isParam := l.params[e.Name]
	switch {
	case isLayer:
		shape, what = layer.Shape, "layer "+e.Name
	case isParam:
		shape, what = param.Shape, "param "+e.Name
	default:
		if _, isFunc := functions[e.Name]; isFunc || e.Name == "abs" {
			l.errorf(e.Pos, "function %s needs an argument: %s(…)", e.Name, e.Name)
		} else {
			l.errorf(e.Pos, "undeclared name %s; %s", e.Name, l.declareHint(e.Name))
		}
		return nil, false
	}
	if len(shape) == 0 && len(e.Indices) > 0 {
		l.errorf(e.Pos, "%s is a scalar and takes no indices: write %s", what, e.Name)
		return nil, false
	}
	if len(e.Indices) != len(shape) {
		l.errorf(e.Pos, "%s has %d dimension(s) but is indexed with %d: write %s", what, len(shape), len(e.Indices), example(e.Name, len(shape)))
		return nil, false
	}
	idx := make([]*Index, len(e.Indices))
	for d, id := range e.Indices {
		ix, ok := sc[id.Name]
		if !ok {
			if _, c := l.consts[id.Name]; c {
				l.errorf(id.Pos, "index %s is a const; indices must be variables bound by sum(…)", id.Name)
			} else {
				l.errorf(id.Pos, "index %s is not bound; wrap the term in sum(%s) …", id.Name, id.Name)
			}
			return nil, false
		}
		// W's 2nd dimension (4) | v (3), and W's 2nd dimension is 4 | v has size 3.
		desc := fmt.Sprintf("%s's %s dimension (%d)", e.Name, ordinal(d+1), shape[d])
		conflict := fmt.Sprintf("%s's %s dimension is %d", e.Name, ordinal(d+1), shape[d])
		if len(shape) == 1 {
			desc = fmt.Sprintf("%s (%d)", e.Name, shape[d])
			conflict = fmt.Sprintf("%s has size %d", e.Name, shape[d])
		}
		switch {
		case ix.Size == 0:
			ix.Size = shape[d]
			l.where[ix] = desc
		case ix.Size != shape[d]:
			l.errorf(id.Pos, "%s: index %s ranges over %s but %s", what, id.Name, l.where[ix], conflict)
			return nil, false
		}
		if isLayer && slices.Contains(idx[:d], ix) {
			l.errorf(id.Pos, "layer %s is indexed twice with %s; a unit reference needs a different index per dimension", e.Name, id.Name)
			return nil, false
		}
		idx[d] = ix
	}
	if isLayer {
		return []mono{{coef: Num(1), units: []UnitRef{{Layer: layer, Index: idx, Power: 1, Pos: e.Pos}}}}, true
	}
	return []mono{{coef: &Expr{Op: OpParam, Param: param, Index: idx}}}, true
}

func example(name string, dims int) string {
	if dims == 0 {
		return name
	}
	names := []string{"i", "j", "k", "l", "m", "n"}
	s := name + "["
	for d := 0; d < dims; d++ {
		if d > 0 {
			s += ", "
		}
		s += names[d%len(names)]
	}
	return s + "]"
}

// checkSoftmaxGroups rejects products of two different units of one
// one-hot group as written: such a product is identically zero.
func (l *lowerer) checkSoftmaxGroups(mo mono) bool {
	for a, ra := range mo.units {
		for _, rb := range mo.units[a+1:] {
			if ra.Layer != rb.Layer || ra.Layer.Kind != Softmax {
				continue
			}
			g := len(ra.Index) - 1
			if slices.Equal(ra.Index[:g], rb.Index[:g]) && ra.Index[g] != rb.Index[g] {
				l.errorf(rb.Pos, "%s and %s are units of one one-hot group of softmax layer %s: their product is zero unless %s = %s; write the diagonal as a linear term in %s",
					refString(ra), refString(rb), ra.Layer.Name, ra.Index[g].Name, rb.Index[g].Name, refString(ra))
				return false
			}
		}
	}
	return true
}

func refString(r UnitRef) string {
	s := r.Layer.Name + "["
	for i, ix := range r.Index {
		if i > 0 {
			s += ", "
		}
		s += ix.Name
	}
	return s + "]"
}

// declareHint says what to do about an undeclared name: declare it, or use
// the declared name it is closest to (a misspelling), or one of the names
// declared.
func (l *lowerer) declareHint(name string) string {
	var names []string
	for _, m := range []map[string]bool{keys(l.layers), keys(l.params), keys(l.consts)} {
		for n := range m {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if c := suggest.Closest(name, names, 2); c != "" {
		return fmt.Sprintf("did you mean %s? Otherwise declare it as a layer, param or const", c)
	}
	hint := "declare it as a layer, param or const"
	if len(names) > 0 {
		if len(names) > 8 {
			names = append(names[:8], "…")
		}
		hint += " (declared: " + strings.Join(names, ", ") + ")"
	}
	return hint
}

// didYouMean is "; did you mean X?" for the word among words that name is
// likely a misspelling of, "" when there is none: the tail of an error's
// list of what was expected.
func didYouMean(name string, words ...string) string {
	if c := suggest.Closest(name, words, 2); c != "" {
		return "; did you mean " + c + "?"
	}
	return ""
}

// keys is the set of m's keys.
func keys[V any](m map[string]V) map[string]bool {
	s := make(map[string]bool, len(m))
	for k := range m {
		s[k] = true
	}
	return s
}
