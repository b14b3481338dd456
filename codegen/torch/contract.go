package torch

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ebmc/ebmc/ir"
)

// A contraction is one derived sum Σ_{Sum, Distinct} Coef · Π Units printed
// as a single torch.einsum over every chain at once. Each index variable
// becomes an einsum letter; the chains are the letter z. The numeric factor
// of Coef multiplies the result, the rest of Coef is one operand over the
// index variables of its parameters (built by broadcasting, a repeated
// parameter index read as the diagonal), each unit reference is the layer's
// (N, shape…) tensor, each Distinct constraint is a 0/1 mask buffer, and an
// index variable that no operand carries contributes its size (summed) or a
// ones vector (kept).

const batchLetter = 'z'

// letters are the einsum subscripts, z excepted.
const letters = "abcdefghijklmnopqrstuvwxyABCDEFGHIJKLMNOPQRSTUVWXYZ"

// contraction describes what to print.
type contraction struct {
	coef     *ir.Expr
	units    []ir.UnitRef
	sum      []*ir.Index
	distinct []ir.Distinct
	out      []*ir.Index // kept index variables, in output order (may repeat)
	// batch keeps the chains' dimension in the output; weights, when not
	// batch, contracts it with the named (N,) tensor instead of summing.
	batch   bool
	weights string
}

// printed is a printed contraction: a Python expression, and whether it
// has the chains' dimension first (otherwise it broadcasts over chains).
type printed struct {
	expr    string
	batched bool
	zero    bool // the contraction is identically zero
	// mm holds the factors when expr is exactly their matrix product, and
	// vector reports that expr is exactly one operand of the output's
	// shape without the chains (a bias), so that a sum of the two can be
	// one torch.addmm.
	mm     [2]string
	vector bool
	// outer holds the factors when expr is exactly their product, a
	// weighted outer product Σ_z w_z·x_zA·y_zB, so that it can be added
	// into a gradient with addmm_.
	outer [2]string
}

// contract prints c. unit prints a unit reference's tensor; mask returns
// the buffer name of a distinct mask over the given sizes and equal pairs.
func (g *gen) contract(c contraction, unit func(ir.UnitRef) string) (printed, error) {
	letter := map[*ir.Index]byte{}
	next := 0
	name := func(ix *ir.Index) (byte, error) {
		if l, ok := letter[ix]; ok {
			return l, nil
		}
		if next >= len(letters) {
			return 0, fmt.Errorf("torch: a sum of %s has more than %d index variables", g.m.Name, len(letters))
		}
		letter[ix] = letters[next]
		next++
		return letter[ix], nil
	}
	var subs []string
	var ops []string
	add := func(op string, idx []*ir.Index) error {
		var b strings.Builder
		for _, ix := range idx {
			l, err := name(ix)
			if err != nil {
				return err
			}
			b.WriteByte(l)
		}
		subs, ops = append(subs, b.String()), append(ops, op)
		return nil
	}
	// Output letters first, so that they are stable.
	var outSub strings.Builder
	if c.batch {
		outSub.WriteByte(batchLetter)
	}
	seenOut := map[*ir.Index]bool{}
	var eyes [][2]*ir.Index // θ[i, i]: the output's repeated indices
	for _, ix := range c.out {
		if seenOut[ix] {
			// θ[i, i]: a fresh letter tied to i by an identity matrix.
			fresh := &ir.Index{Name: ix.Name + "'", ID: -1, Size: ix.Size}
			l, err := name(fresh)
			if err != nil {
				return printed{}, err
			}
			outSub.WriteByte(l)
			eyes = append(eyes, [2]*ir.Index{ix, fresh})
			continue
		}
		seenOut[ix] = true
		l, err := name(ix)
		if err != nil {
			return printed{}, err
		}
		outSub.WriteByte(l)
	}
	scale, rest := splitCoef(c.coef)
	if scale == 0 {
		return printed{zero: true}, nil
	}
	scalar, after := "", ""
	hasUnits := len(c.units) > 0
	weighted := hasUnits && !c.batch && c.weights != ""
	if weighted {
		// The weights first: torch.einsum contracts left to right, and
		// Σ_z w_z·x_za·y_zb must not form the N×a×b outer product.
		subs, ops = append(subs, string(batchLetter)), append(ops, c.weights)
	}
	if rest != nil {
		idx := coefIndices(rest)
		switch {
		case len(idx) == 0:
			e, err := g.coefExpr(rest, idx)
			if err != nil {
				return printed{}, err
			}
			scalar = e
		case weighted && subset(idx, c.out) && !seenDup(c.out):
			// A coefficient over kept indices multiplies the contracted
			// units afterwards, broadcast over the output.
			e, err := g.coefExpr(rest, c.out)
			if err != nil {
				return printed{}, err
			}
			after = e
		default:
			e, err := g.coefExpr(rest, idx)
			if err != nil {
				return printed{}, err
			}
			if err := add(e, idx); err != nil {
				return printed{}, err
			}
		}
	}
	// The masks next to the coefficient they restrict (after the units
	// when the weights lead).
	masks := func() error {
		for _, d := range c.distinct {
			op, idx, never := g.mask(d)
			if never {
				return errNever
			}
			if err := add(op, idx); err != nil {
				return err
			}
		}
		return nil
	}
	if !weighted {
		if err := masks(); err == errNever {
			return printed{zero: true}, nil
		} else if err != nil {
			return printed{}, err
		}
	}
	for _, u := range c.units {
		sub := string(batchLetter)
		for _, ix := range u.Index {
			l, err := name(ix)
			if err != nil {
				return printed{}, err
			}
			sub += string(l)
		}
		subs, ops = append(subs, sub), append(ops, unit(u))
	}
	if weighted {
		if err := masks(); err == errNever {
			return printed{zero: true}, nil
		} else if err != nil {
			return printed{}, err
		}
	}
	for _, e := range eyes {
		if err := add(fmt.Sprintf("self._eye(%d)", e[0].Size), e[:]); err != nil {
			return printed{}, err
		}
	}
	// Index variables that no operand carries.
	covered := map[byte]bool{}
	for _, s := range subs {
		for i := 0; i < len(s); i++ {
			covered[s[i]] = true
		}
	}
	factor := 1.0
	for _, ix := range c.sum {
		if l, ok := letter[ix]; ok && covered[l] || seenOut[ix] {
			continue
		}
		factor *= float64(ix.Size)
	}
	for _, ix := range c.out {
		l := letter[ix]
		if !covered[l] {
			if err := add(fmt.Sprintf("self._ones(%d)", ix.Size), []*ir.Index{ix}); err != nil {
				return printed{}, err
			}
			covered[l] = true
		}
	}
	scale *= factor
	var expr string
	batched := c.batch && hasUnits
	outStr := outSub.String()
	if c.batch && !hasUnits {
		outStr = outStr[1:]
	}
	var mm, outer [2]string
	vector := false
	sizes := map[byte]int{}
	for ix, l := range letter {
		sizes[l] = ix.Size
	}
	switch a, b, ok := matmul(subs, ops, outStr, sizes); {
	case len(ops) == 0:
		expr = "1.0"
		if scalar != "" {
			expr = scalar
			scalar = ""
		}
	case len(ops) == 1 && subs[0] == outStr:
		expr = ops[0]
		vector = !c.batch || !hasUnits
	case ok && len(ops) == 3 && scalar == "" && after == "":
		// The factor scales the weights, not the product.
		if scale != 1 {
			sw := "-" + atom(ops[0])
			if scale != -1 {
				sw = "(" + pyFloat(scale) + " * " + ops[0] + ")"
			}
			w := atom(ops[0]) + "[:, None]"
			a = strings.Replace(a, w, sw+"[:, None]", 1)
			b = strings.Replace(b, w, sw+"[:, None]", 1)
			scale = 1
		}
		expr, outer = a+" @ "+b, [2]string{a, b}
	case ok:
		expr, mm = a+" @ "+b, [2]string{a, b}
	default:
		expr = fmt.Sprintf("torch.einsum(%q, %s)", strings.Join(subs, ",")+"->"+outStr, strings.Join(ops, ", "))
	}
	if after != "" {
		expr += " * " + after
	}
	if scalar != "" {
		expr = "(" + scalar + ") * " + expr
	}
	if !hasUnits && !c.batch && c.weights != "" {
		expr = c.weights + ".sum() * " + expr
	}
	if after != "" || scalar != "" || scale != 1 || !hasUnits || c.weights != "" && !c.batch {
		mm = [2]string{}
	}
	if after != "" || scalar != "" || scale != 1 {
		vector = false
	}
	switch scale {
	case 1:
	case -1:
		expr = "-" + expr
	default:
		expr = pyFloat(scale) + " * " + expr
	}
	return printed{expr: expr, batched: batched, mm: mm, vector: vector, outer: outer}, nil
}

// matmul recognises a contraction that is one matrix product: "zA,AB->zB"
// (X @ M), "zA,BA->zB" (X @ Mᵀ), either operand order, the weighted
// outer product "z,zA,zB->AB" ((X·w)ᵀ @ Y) and the weighted sum
// "z,zA->A" (w @ X), with distinct letters. The weights of the outer
// product multiply the factor with fewer units (sizes gives each letter's).
func matmul(subs, ops []string, out string, sizes map[byte]int) (string, string, bool) {
	ops = slices.Clone(ops)
	for i, op := range ops {
		ops[i] = atom(op)
	}
	distinct := func(s string) bool { return len(s) == 2 && s[0] != s[1] }
	z := string(batchLetter)
	if len(ops) == 2 && subs[0] == z && len(subs[1]) == 2 && subs[1][0] == batchLetter && subs[1][1] != batchLetter && out == subs[1][1:] {
		return ops[0], ops[1], true
	}
	if len(ops) == 3 && subs[0] == z && len(subs[1]) == 2 && len(subs[2]) == 2 && subs[1][0] == batchLetter && subs[2][0] == batchLetter {
		a, b := subs[1][1], subs[2][1]
		if a != b && a != batchLetter && b != batchLetter && out == string([]byte{a, b}) {
			if sizes[b] < sizes[a] {
				return ops[1] + ".t()", fmt.Sprintf("(%s * %s[:, None])", ops[2], ops[0]), true
			}
			return fmt.Sprintf("(%s * %s[:, None]).t()", ops[1], ops[0]), ops[2], true
		}
		return "", "", false
	}
	if len(ops) != 2 || len(out) != 2 || out[0] != batchLetter {
		return "", "", false
	}
	xi, mi := 0, 1
	if subs[1][0] == batchLetter {
		xi, mi = 1, 0
	}
	x, m := subs[xi], subs[mi]
	if len(x) != 2 || x[0] != batchLetter || !distinct(m) || strings.IndexByte(m, batchLetter) >= 0 || x[1] == out[1] {
		return "", "", false
	}
	switch m {
	case string([]byte{x[1], out[1]}):
		return ops[xi], ops[mi], true
	case string([]byte{out[1], x[1]}):
		return ops[xi], ops[mi] + ".t()", true
	}
	return "", "", false
}

// simple matches a name, attribute or subscript chain: x[0], P["W"], self._eye(3).
var simple = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*(\[[^\]]*\]|\([0-9]*\))*$`)

// atom parenthesizes an operand unless it is simple.
func atom(s string) string {
	if simple.MatchString(s) {
		return s
	}
	return "(" + s + ")"
}

var errNever = errors.New("the tuples of a Distinct constraint are always equal")

// splitCoef splits a coefficient into its numeric factor and the rest
// (nil when the coefficient is a number).
func splitCoef(e *ir.Expr) (float64, *ir.Expr) {
	switch {
	case e.Op == ir.OpConst:
		return e.Value, nil
	case e.Op == ir.OpMul && e.Args[0].Op == ir.OpConst:
		if len(e.Args) == 2 {
			return e.Args[0].Value, e.Args[1]
		}
		return e.Args[0].Value, &ir.Expr{Op: ir.OpMul, Args: e.Args[1:]}
	}
	return 1, e
}

// coefIndices are the distinct index variables of e's parameters, in order.
func coefIndices(e *ir.Expr) []*ir.Index {
	var out []*ir.Index
	seen := map[*ir.Index]bool{}
	for _, r := range e.ParamRefs() {
		for _, ix := range r.Index {
			if !seen[ix] {
				seen[ix] = true
				out = append(out, ix)
			}
		}
	}
	return out
}

// coefExpr prints a coefficient as a tensor over the index variables idx
// (in that order), parameters broadcast to it.
func (g *gen) coefExpr(e *ir.Expr, idx []*ir.Index) (string, error) {
	rec := func(a *ir.Expr) (string, error) { return g.coefExpr(a, idx) }
	join := func(sep string) (string, error) {
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			s, err := rec(a)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, sep) + ")", nil
	}
	switch e.Op {
	case ir.OpConst:
		return pyFloat(e.Value), nil
	case ir.OpParam:
		return g.paramView(e, idx), nil
	case ir.OpAdd:
		return join(" + ")
	case ir.OpMul:
		return join(" * ")
	case ir.OpDiv:
		return join(" / ")
	case ir.OpPow:
		s, err := rec(e.Args[0])
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s ** %s", s, pyFloat(e.Value)), nil
	}
	fn := map[ir.Op]string{ir.OpExp: "torch.exp", ir.OpLog: "torch.log", ir.OpSoftplus: "softplus", ir.OpSigmoid: "torch.sigmoid", ir.OpSqrt: "torch.sqrt"}[e.Op]
	if fn == "" {
		return "", fmt.Errorf("torch: operator %d in a coefficient of %s is not supported", e.Op, g.m.Name)
	}
	s, err := rec(e.Args[0])
	if err != nil {
		return "", err
	}
	return fn + "(" + s + ")", nil
}

// paramView prints parameter reference r as a tensor broadcast over idx:
// its diagonal where an index repeats, its dimensions permuted into idx's
// order, and size-1 dimensions for the index variables it lacks.
func (g *gen) paramView(r *ir.Expr, idx []*ir.Index) string {
	s := fmt.Sprintf("P[%q]", r.Param.Name)
	// The distinct variables of r in their first-occurrence order.
	var own []*ir.Index
	pos := map[*ir.Index]int{}
	var sub strings.Builder
	for _, ix := range r.Index {
		if _, ok := pos[ix]; !ok {
			pos[ix] = len(own)
			own = append(own, ix)
		}
		sub.WriteByte(letters[pos[ix]])
	}
	if len(own) < len(r.Index) {
		s = fmt.Sprintf("torch.einsum(%q, %s)", sub.String()+"->"+letters[:len(own)], s)
	}
	// Permute into idx order.
	var perm []int
	for _, ix := range idx {
		if p, ok := pos[ix]; ok {
			perm = append(perm, p)
		}
	}
	identity := true
	for i, p := range perm {
		identity = identity && p == i
	}
	if !identity {
		s += ".permute(" + ints(perm) + ")"
	}
	if len(own) == len(idx) || len(own) == 0 {
		return s
	}
	shape := make([]int, len(idx))
	for i, ix := range idx {
		shape[i] = 1
		if _, ok := pos[ix]; ok {
			shape[i] = ix.Size
		}
	}
	return s + ".reshape(" + ints(shape) + ")"
}

// mask returns the buffer of a Distinct constraint (A₁…Aₙ) ≠ (B₁…Bₙ) over
// its distinct index variables, or never when the tuples are always equal.
func (g *gen) mask(d ir.Distinct) (op string, idx []*ir.Index, never bool) {
	pos := map[*ir.Index]int{}
	for _, t := range [][]*ir.Index{d.A, d.B} {
		for _, ix := range t {
			if _, ok := pos[ix]; !ok {
				pos[ix] = len(idx)
				idx = append(idx, ix)
			}
		}
	}
	var pairs [][2]int
	for k := range d.A {
		if d.A[k] != d.B[k] {
			pairs = append(pairs, [2]int{pos[d.A[k]], pos[d.B[k]]})
		}
	}
	if len(pairs) == 0 {
		return "", nil, true
	}
	shape := make([]int, len(idx))
	for i, ix := range idx {
		shape[i] = ix.Size
	}
	var ps []string
	for _, p := range pairs {
		ps = append(ps, fmt.Sprintf("(%d, %d)", p[0], p[1]))
	}
	key := "(" + ints(shape) + "), (" + strings.Join(ps, ", ") + ",)"
	if _, ok := g.masks[key]; !ok {
		g.masks[key] = fmt.Sprintf("_mask%d", len(g.maskOrder))
		g.maskOrder = append(g.maskOrder, key)
	}
	return "self." + g.masks[key], idx, false
}

func ints(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	out := strings.Join(s, ", ")
	if len(xs) == 1 {
		out += ","
	}
	return out
}

// pyFloat prints a float64 as a Python float literal that reads back exactly.
func pyFloat(v float64) string {
	switch {
	case v != v:
		return "math.nan"
	case v > 1.7976931348623157e308:
		return "math.inf"
	case v < -1.7976931348623157e308:
		return "-math.inf"
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	if v < 0 {
		s = "(" + s + ")"
	}
	return s
}

// subset reports whether every index of a is in b.
func subset(a, b []*ir.Index) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

// seenDup reports whether an index repeats in idx.
func seenDup(idx []*ir.Index) bool {
	for i, x := range idx {
		for _, y := range idx[:i] {
			if x == y {
				return true
			}
		}
	}
	return false
}
