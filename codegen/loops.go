package codegen

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ebmc/ebmc/ir"
)

// sum describes Σ_{Loop, Distinct} Coef · Π Units to be emitted as a loop
// nest that accumulates into a scalar or into an array.
type sum struct {
	Coef     *ir.Expr
	Units    []ir.UnitRef
	Loop     []*ir.Index          // variables to loop over
	Distinct []ir.Distinct        // tuples that must differ
	Bound    map[*ir.Index]string // variables already bound, as Go expressions
	Dst      string               // the scalar, or the array, accumulated into
	DstIndex []*ir.Index          // the array's index variables (nil: scalar)
	DstShape []int
	Scale    string // an extra factor (e.g. "beta"), or ""
	Sub      bool   // subtract instead of add
}

// emitter writes loop nests for one model.
type emitter struct {
	p    *printer
	unit func(u ir.UnitRef, off string) string // reads a unit value
	par  func(q *ir.Param, off string) string  // reads a parameter
	// sq, if set, reads the second moment of a unit of a gaussian layer
	// (x² plus its variance); otherwise x·x is used.
	sq func(u ir.UnitRef, off string) string
}

// locals that generated code uses around loop nests; index variables avoid them.
var reserved = map[string]bool{
	"m": true, "x": true, "ch": true, "acc": true, "beta": true, "rng": true, "dst": true,
	"g": true, "scale": true, "n": true, "a": true, "p": true, "u": true, "k": true, "e": true,
	"f": true, "row": true, "t": true, "s": true, "v": true, "mu": true, "w": true,
}

func isGoKeyword(s string) bool {
	switch s {
	case "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
		"for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
		"return", "select", "struct", "switch", "type", "var", "len", "cap", "min", "max",
		"new", "make", "copy", "append", "true", "false", "nil", "math", "runtime":
		return true
	}
	return false
}

// names gives every variable of the nest a distinct, safe Go name.
func (s *sum) names() map[*ir.Index]string {
	out := map[*ir.Index]string{}
	used := map[string]bool{}
	for ix, e := range s.Bound {
		out[ix] = e
		used[e] = true
	}
	for _, ix := range s.Loop {
		base := strings.ToLower(ix.Name)
		if reserved[base] || isGoKeyword(base) || strings.HasPrefix(base, "row") || strings.HasPrefix(base, "t") && len(base) > 1 {
			base += "_"
		}
		n := base
		for k := 2; used[n]; k++ {
			n = base + strconv.Itoa(k)
		}
		used[n] = true
		out[ix] = n
	}
	return out
}

// order chooses the loop order: variables that do not index the largest
// tensor first, then that tensor's variables in its row-major order, so the
// innermost loop walks memory contiguously.
func (s *sum) order() []*ir.Index {
	type access struct {
		idx  []*ir.Index
		size int
	}
	var accs []access
	for _, r := range s.Coef.ParamRefs() {
		accs = append(accs, access{r.Index, r.Param.Size})
	}
	for _, u := range s.Units {
		accs = append(accs, access{u.Index, u.Layer.Size})
	}
	if s.DstIndex != nil {
		accs = append(accs, access{s.DstIndex, product(s.DstShape)})
	}
	best := -1
	for i, a := range accs {
		if best < 0 || a.size > accs[best].size {
			best = i
		}
	}
	var last []*ir.Index
	if best >= 0 {
		for _, ix := range accs[best].idx {
			if slices.Contains(s.Loop, ix) && !slices.Contains(last, ix) {
				last = append(last, ix)
			}
		}
	}
	var out []*ir.Index
	for _, ix := range s.Loop {
		if !slices.Contains(last, ix) {
			out = append(out, ix)
		}
	}
	return append(out, last...)
}

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// offset writes the row-major position of idx in shape: (i*4 + j)*5 + k.
func offset(shape []int, idx []*ir.Index, names map[*ir.Index]string) string {
	if len(idx) == 0 {
		return "0"
	}
	s := names[idx[0]]
	for d := 1; d < len(idx); d++ {
		if d > 1 {
			s = "(" + s + ")"
		}
		s = fmt.Sprintf("%s*%d + %s", s, shape[d], names[idx[d]])
	}
	return s
}

// factor is one multiplicative piece of a coefficient, placed at the
// shallowest loop depth where all its variables are bound.
type factor struct {
	code  string
	div   bool
	depth int
}

// literal writes a float64 constant.
func literal(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "math.Inf(1)"
	case math.IsInf(v, -1):
		return "math.Inf(-1)"
	case math.IsNaN(v):
		return "math.NaN()"
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// expr writes a coefficient as Go.
func (em *emitter) expr(e *ir.Expr, names map[*ir.Index]string) string {
	switch e.Op {
	case ir.OpConst:
		return literal(e.Value)
	case ir.OpParam:
		return em.par(e.Param, offset(e.Param.Shape, e.Index, names))
	case ir.OpAdd, ir.OpMul:
		op := " + "
		if e.Op == ir.OpMul {
			op = " * "
		}
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = em.expr(a, names)
		}
		return "(" + joinBalanced(parts, op) + ")"
	case ir.OpDiv:
		return "(" + em.expr(e.Args[0], names) + " / " + em.expr(e.Args[1], names) + ")"
	case ir.OpPow:
		b := em.expr(e.Args[0], names)
		switch e.Value {
		case 2:
			return "(" + b + " * " + b + ")"
		case -1:
			return "(1 / " + b + ")"
		case 0.5:
			return "math.Sqrt(" + b + ")"
		}
		return "math.Pow(" + b + ", " + literal(e.Value) + ")"
	}
	fn := map[ir.Op]string{ir.OpExp: "math.Exp", ir.OpLog: "math.Log", ir.OpSoftplus: "runtime.Softplus", ir.OpSigmoid: "runtime.Sigmoid", ir.OpSqrt: "math.Sqrt"}[e.Op]
	return fn + "(" + unparen(em.expr(e.Args[0], names)) + ")"
}

// unparen drops the parentheses around a whole expression: (a * b) → a * b.
func unparen(s string) string {
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return s
	}
	depth := 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return s // "(a) * (b)": the first parenthesis closes early
			}
		}
	}
	return s[1 : len(s)-1]
}

// emit writes the loop nest of s.
func (em *emitter) emit(s sum) {
	order := s.order()
	names := s.names()
	depth := map[*ir.Index]int{}
	for i, ix := range order {
		depth[ix] = i + 1
	}
	at := func(idx []*ir.Index) int {
		d := 0
		for _, ix := range idx {
			d = max(d, depth[ix])
		}
		return d
	}
	c, num, den := ir.SplitCoef(s.Coef)
	var factors []factor
	for _, f := range num {
		factors = append(factors, factor{code: em.expr(f, names), depth: at(ir.IndicesOf(f))})
	}
	for _, f := range den {
		factors = append(factors, factor{code: em.expr(f, names), div: true, depth: at(ir.IndicesOf(f))})
	}
	type guard struct {
		cond  string
		depth int
		skip  bool // a binary unit's zero test, which only saves work
	}
	var guards []guard
	for _, u := range s.Units {
		off := offset(u.Layer.Shape, u.Index, names)
		read := em.unit(u, off)
		d := at(u.Index)
		switch {
		case u.Power == 2 && em.sq != nil:
			factors = append(factors, factor{code: em.sq(u, off), depth: d})
		case u.Power == 2:
			factors = append(factors, factor{code: read + " * " + read, depth: d})
		case u.Layer.Kind == ir.Bernoulli || u.Layer.Kind == ir.Softmax:
			// Binary units: skip the zeros; a sample needs no multiplication,
			// but means (mean field, moments) do, so multiply all the same.
			guards = append(guards, guard{read + " != 0", d, true})
			factors = append(factors, factor{code: read, depth: d})
		default:
			factors = append(factors, factor{code: read, depth: d})
		}
	}
	for _, dd := range s.Distinct {
		var conds []string
		for k := range dd.A {
			conds = append(conds, names[dd.A[k]]+" != "+names[dd.B[k]])
		}
		guards = append(guards, guard{strings.Join(conds, " || "), at(append(slices.Clone(dd.A), dd.B...)), false})
	}
	if s.Scale != "" {
		factors = append(factors, factor{code: s.Scale, depth: 0})
	}

	dstDepth := at(s.DstIndex)
	inner := len(order)
	localize := s.DstIndex != nil && dstDepth < inner
	target := s.Dst
	if s.DstIndex != nil {
		target = fmt.Sprintf("%s[%s]", s.Dst, offset(s.DstShape, s.DstIndex, names))
	}
	prev := ""
	if c != 1 {
		prev = literal(c)
	}
	if c == -1 {
		prev = ""
		s.Sub = !s.Sub
	}
	op := " += "
	if s.Sub {
		op = " -= "
	}
	// A binary unit's zero test in the innermost loop saves one multiply-add
	// and mispredicts on random states half the time: it is left out there,
	// and the zero multiplied in, unless the innermost factors call a
	// function or divide.
	cheap := true
	for _, f := range factors {
		if f.depth == inner && (f.div || strings.Contains(f.code, "(")) {
			cheap = false
		}
	}
	var open []int // the depth of every open block
	for d := 0; d <= inner; d++ {
		if d > 0 {
			ix := order[d-1]
			em.p.Pf("for %s := 0; %s < %d; %s++ {", names[ix], names[ix], ix.Size, names[ix])
			open = append(open, d)
		}
		for _, gd := range guards {
			if gd.skip && d == inner && cheap {
				continue
			}
			if gd.depth == d {
				em.p.Pf("if %s {", gd.cond)
				open = append(open, d)
			}
		}
		var parts []string
		for _, f := range factors {
			if f.depth == d {
				if f.div {
					parts = append(parts, "/ "+f.code)
				} else {
					parts = append(parts, "* "+f.code)
				}
			}
		}
		expr := joinProduct(prev, parts)
		switch {
		case d < inner && len(parts) > 0 && isPlain(expr):
			prev = expr
		case d < inner && len(parts) > 0:
			if d == 0 {
				em.p.P("{") // keep the temporaries of this nest to itself
				open = append(open, 0)
			}
			name := fmt.Sprintf("t%d", d)
			em.p.Pf("%s := %s", name, expr)
			prev = name
		case d == inner:
			prev = expr
		}
		if localize && d == dstDepth {
			if d == 0 {
				em.p.P("{")
				open = append(open, 0)
			}
			em.p.P("acc := 0.0")
		}
	}
	term := prev
	if term == "" {
		term = "1"
	}
	if !localize {
		em.p.P(target, op, term)
	} else {
		em.p.P("acc += ", term)
		for len(open) > 0 && open[len(open)-1] > dstDepth {
			em.p.P("}")
			open = open[:len(open)-1]
		}
		em.p.P(target, op, "acc")
	}
	for range open {
		em.p.P("}")
	}
}

// isPlain reports whether a Go expression is a name or a number, which
// needs no temporary.
func isPlain(e string) bool {
	for _, r := range e {
		if !(r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return e != ""
}

// joinProduct joins a previous partial product with "* f" and "/ f" parts.
func joinProduct(prev string, parts []string) string {
	if len(parts) == 0 {
		return prev
	}
	s := prev
	for _, p := range parts {
		if s == "" {
			if strings.HasPrefix(p, "/ ") {
				s = "1 " + p
			} else {
				s = strings.TrimPrefix(p, "* ")
			}
			continue
		}
		s += " " + p
	}
	return s
}

// joinBalanced joins the operands of a long sum or product as a balanced
// tree of parenthesized halves: a chain of thousands of binary operators
// takes go/printer (and readers) time quadratic in its length.
func joinBalanced(parts []string, op string) string {
	if len(parts) <= 32 {
		return strings.Join(parts, op)
	}
	h := len(parts) / 2
	return "(" + joinBalanced(parts[:h], op) + ")" + op + "(" + joinBalanced(parts[h:], op) + ")"
}
