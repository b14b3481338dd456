package ir

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Op is the operator of a coefficient expression node.
type Op int

const (
	OpConst    Op = iota // Value
	OpParam              // Param[Index…]
	OpAdd                // Args₀ + Args₁ + …
	OpMul                // Args₀ · Args₁ · …
	OpDiv                // Args₀ / Args₁
	OpPow                // Args₀ ^ Value
	OpExp                // exp(Args₀)
	OpLog                // log(Args₀)
	OpSoftplus           // log(1 + exp(Args₀))
	OpSigmoid            // 1 / (1 + exp(−Args₀)), the derivative of softplus
	OpSqrt               // √Args₀
)

// Expr is a coefficient: an expression over parameters and numbers only.
// Nodes are immutable once built; share them freely.
type Expr struct {
	Op    Op
	Value float64 // OpConst: the number; OpPow: the exponent
	Param *Param  // OpParam
	Index []*Index
	Args  []*Expr
}

// Num returns the constant v.
func Num(v float64) *Expr { return &Expr{Op: OpConst, Value: v} }

// IsConst reports whether e is the number v.
func (e *Expr) IsConst(v float64) bool { return e.Op == OpConst && e.Value == v }

// Add returns the simplified sum of xs: numbers folded, like terms collected
// (x + 2x = 3x).
func Add(xs ...*Expr) *Expr {
	var flat []*Expr
	for _, x := range xs {
		if x.Op == OpAdd {
			flat = append(flat, x.Args...)
		} else {
			flat = append(flat, x)
		}
	}
	c := 0.0
	var keys []string
	factor := map[string]float64{}
	rest := map[string]*Expr{}
	for _, x := range flat {
		if x.Op == OpConst {
			c += x.Value
			continue
		}
		f, r := numericFactor(x)
		k := r.key()
		if _, seen := rest[k]; !seen {
			keys = append(keys, k)
			rest[k] = r
		}
		factor[k] += f
	}
	var args []*Expr
	for _, k := range keys {
		if factor[k] != 0 {
			args = append(args, Mul(Num(factor[k]), rest[k]))
		}
	}
	if c != 0 || len(args) == 0 {
		args = append(args, Num(c))
	}
	if len(args) == 1 {
		return args[0]
	}
	return &Expr{Op: OpAdd, Args: args}
}

// numericFactor splits e into a number and the rest: −2·x → (−2, x).
func numericFactor(e *Expr) (float64, *Expr) {
	switch {
	case e.Op == OpMul && e.Args[0].Op == OpConst:
		if len(e.Args) == 2 {
			return e.Args[0].Value, e.Args[1]
		}
		return e.Args[0].Value, &Expr{Op: OpMul, Args: e.Args[1:]}
	case e.Op == OpDiv:
		f, r := numericFactor(e.Args[0])
		if f != 1 {
			return f, Div(r, e.Args[1])
		}
	}
	return 1, e
}

// key is a structural identity: equal keys mean equal expressions.
func (e *Expr) key() string {
	var b strings.Builder
	var walk func(*Expr)
	walk = func(e *Expr) {
		fmt.Fprintf(&b, "(%d %v", e.Op, e.Value)
		if e.Param != nil {
			fmt.Fprintf(&b, " %s", e.Param.Name)
			for _, ix := range e.Index {
				fmt.Fprintf(&b, " %d", ix.ID)
			}
		}
		for _, a := range e.Args {
			walk(a)
		}
		b.WriteByte(')')
	}
	walk(e)
	return b.String()
}

// Mul returns the simplified product of xs in factor-normal form: one
// numeric factor first, equal bases merged into powers, exponentials merged
// (eᵃ·eᵇ = eᵃ⁺ᵇ), and negative powers moved into one denominator.
func Mul(xs ...*Expr) *Expr {
	f := newFactors()
	for _, x := range xs {
		f.add(x, 1)
	}
	return f.build()
}

// Div returns x / y in factor-normal form.
func Div(x, y *Expr) *Expr {
	f := newFactors()
	f.add(x, 1)
	f.add(y, -1)
	return f.build()
}

// Pow returns x^n.
func Pow(x *Expr, n float64) *Expr {
	switch {
	case n == 0:
		return Num(1)
	case n == 1:
		return x
	case x.Op == OpConst:
		return Num(math.Pow(x.Value, n))
	}
	f := newFactors()
	f.add(x, n)
	return f.build()
}

// factors is a product Π baseᵏ · exp(Σ args) · c under construction.
type factors struct {
	c       float64
	keys    []string
	base    map[string]*Expr
	exp     map[string]float64
	expArgs []*Expr
}

func newFactors() *factors {
	return &factors{c: 1, base: map[string]*Expr{}, exp: map[string]float64{}}
}

func isWhole(v float64) bool { return v == math.Trunc(v) }

// add multiplies the product by eⁿ.
func (f *factors) add(e *Expr, n float64) {
	switch e.Op {
	case OpConst:
		f.c *= math.Pow(e.Value, n)
		return
	case OpMul:
		for _, a := range e.Args {
			f.add(a, n)
		}
		return
	case OpDiv:
		f.add(e.Args[0], n)
		f.add(e.Args[1], -n)
		return
	case OpPow:
		if isWhole(n) && isWhole(e.Value) {
			f.add(e.Args[0], n*e.Value)
			return
		}
	case OpExp:
		f.expArgs = append(f.expArgs, Mul(Num(n), e.Args[0]))
		return
	}
	b, k := e, n
	if e.Op == OpPow {
		b, k = e.Args[0], e.Value*n
	}
	key := b.key()
	if _, ok := f.base[key]; !ok {
		f.keys = append(f.keys, key)
		f.base[key] = b
	}
	f.exp[key] += k
}

func (f *factors) build() *Expr {
	if f.c == 0 {
		return Num(0)
	}
	var num, den []*Expr
	for _, k := range f.keys {
		switch n := f.exp[k]; {
		case n > 0:
			num = append(num, rawPow(f.base[k], n))
		case n < 0:
			den = append(den, rawPow(f.base[k], -n))
		}
	}
	if len(f.expArgs) > 0 {
		arg := Add(f.expArgs...)
		terms := []*Expr{arg}
		if arg.Op == OpAdd {
			terms = arg.Args
		}
		var pos, neg []*Expr
		for _, t := range terms {
			if c, r := numericFactor(t); c < 0 {
				neg = append(neg, Mul(Num(-c), r))
			} else if !t.IsConst(0) {
				pos = append(pos, t)
			}
		}
		if len(pos) > 0 {
			num = append(num, Func(OpExp, Add(pos...)))
		}
		if len(neg) > 0 {
			den = append(den, Func(OpExp, Add(neg...)))
		}
	}
	n := rawMul(f.c, num)
	if len(den) == 0 {
		return n
	}
	return &Expr{Op: OpDiv, Args: []*Expr{n, rawMul(1, den)}}
}

func rawPow(b *Expr, n float64) *Expr {
	if n == 1 {
		return b
	}
	return &Expr{Op: OpPow, Value: n, Args: []*Expr{b}}
}

func rawMul(c float64, args []*Expr) *Expr {
	if c != 1 || len(args) == 0 {
		args = append([]*Expr{Num(c)}, args...)
	}
	if len(args) == 1 {
		return args[0]
	}
	return &Expr{Op: OpMul, Args: args}
}

// Neg returns −x.
func Neg(x *Expr) *Expr { return Mul(Num(-1), x) }

// Func returns op(x) for a unary function op, folding numbers.
func Func(op Op, x *Expr) *Expr {
	if x.Op == OpConst {
		return Num(apply(op, x.Value))
	}
	return &Expr{Op: op, Args: []*Expr{x}}
}

func apply(op Op, v float64) float64 {
	switch op {
	case OpExp:
		return math.Exp(v)
	case OpLog:
		return math.Log(v)
	case OpSoftplus:
		if v > 0 {
			return v + math.Log1p(math.Exp(-v))
		}
		return math.Log1p(math.Exp(v))
	case OpSigmoid:
		if v >= 0 {
			return 1 / (1 + math.Exp(-v))
		}
		z := math.Exp(v)
		return z / (1 + z)
	case OpSqrt:
		return math.Sqrt(v)
	}
	panic("ir: not a unary function")
}

// Eval evaluates e with parameter values params (by Param.Index, row-major)
// and index values at (by Index.ID).
func (e *Expr) Eval(params [][]float64, at []int) float64 {
	switch e.Op {
	case OpConst:
		return e.Value
	case OpParam:
		return params[e.Param.Index][offset(e.Param.Shape, e.Index, at)]
	case OpAdd:
		s := 0.0
		for _, a := range e.Args {
			s += a.Eval(params, at)
		}
		return s
	case OpMul:
		p := 1.0
		for _, a := range e.Args {
			p *= a.Eval(params, at)
		}
		return p
	case OpDiv:
		return e.Args[0].Eval(params, at) / e.Args[1].Eval(params, at)
	case OpPow:
		return math.Pow(e.Args[0].Eval(params, at), e.Value)
	default:
		return apply(e.Op, e.Args[0].Eval(params, at))
	}
}

// offset is the row-major position of index values idx in a tensor of shape.
func offset(shape []int, idx []*Index, at []int) int {
	k := 0
	for d, ix := range idx {
		k = k*shape[d] + at[ix.ID]
	}
	return k
}

// Deriv returns ∂e/∂wrt, where wrt is one OpParam node inside e (by identity):
// other occurrences of the same parameter are held constant, so the total
// derivative is the sum over occurrences (the product rule).
func Deriv(e, wrt *Expr) *Expr {
	if e == wrt {
		return Num(1)
	}
	if !e.contains(wrt) {
		return Num(0)
	}
	switch e.Op {
	case OpAdd:
		var ds []*Expr
		for _, a := range e.Args {
			if a.contains(wrt) { // the others differentiate to 0
				ds = append(ds, Deriv(a, wrt))
			}
		}
		return Add(ds...)
	case OpMul:
		var ds []*Expr
		for i, a := range e.Args {
			if !a.contains(wrt) {
				continue
			}
			others := slices.Clone(e.Args)
			others[i] = Deriv(a, wrt)
			ds = append(ds, Mul(others...))
		}
		return Add(ds...)
	case OpDiv:
		x, y := e.Args[0], e.Args[1]
		return Add(Div(Deriv(x, wrt), y), Neg(Div(Mul(x, Deriv(y, wrt)), Pow(y, 2))))
	case OpPow:
		x := e.Args[0]
		return Mul(Num(e.Value), Pow(x, e.Value-1), Deriv(x, wrt))
	}
	x := e.Args[0]
	var outer *Expr
	switch e.Op {
	case OpExp:
		outer = e
	case OpLog:
		outer = Div(Num(1), x)
	case OpSoftplus:
		outer = Func(OpSigmoid, x)
	case OpSigmoid:
		outer = Mul(e, Add(Num(1), Neg(e)))
	case OpSqrt:
		outer = Div(Num(0.5), e)
	}
	return Mul(outer, Deriv(x, wrt))
}

func (e *Expr) contains(x *Expr) bool {
	if e == x {
		return true
	}
	for _, a := range e.Args {
		if a.contains(x) {
			return true
		}
	}
	return false
}

// ParamRefs returns the OpParam nodes of e in evaluation order.
func (e *Expr) ParamRefs() []*Expr {
	var out []*Expr
	var walk func(*Expr)
	walk = func(e *Expr) {
		if e.Op == OpParam {
			out = append(out, e)
		}
		for _, a := range e.Args {
			walk(a)
		}
	}
	walk(e)
	return out
}

// Substitute returns e with index variables replaced by sub (by ID; nil keeps).
func (e *Expr) Substitute(sub map[*Index]*Index) *Expr {
	switch e.Op {
	case OpConst:
		return e
	case OpParam:
		return &Expr{Op: OpParam, Param: e.Param, Index: substIndices(e.Index, sub)}
	}
	args := make([]*Expr, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.Substitute(sub)
	}
	return &Expr{Op: e.Op, Value: e.Value, Args: args}
}

func substIndices(idx []*Index, sub map[*Index]*Index) []*Index {
	out := make([]*Index, len(idx))
	for i, ix := range idx {
		if s, ok := sub[ix]; ok {
			out[i] = s
		} else {
			out[i] = ix
		}
	}
	return out
}

// Sign is what can be proved about the sign of an expression.
type Sign int

const (
	SignUnknown Sign = iota
	SignPositive
	SignNegative
	SignZero
)

// Sign reports the sign of e that holds for every parameter value.
func (e *Expr) Sign() Sign {
	switch e.Op {
	case OpConst:
		switch {
		case e.Value > 0:
			return SignPositive
		case e.Value < 0:
			return SignNegative
		}
		return SignZero
	case OpExp, OpSoftplus, OpSigmoid:
		return SignPositive
	case OpSqrt:
		return SignPositive
	case OpPow:
		if s := e.Args[0].Sign(); s == SignPositive || (math.Mod(e.Value, 2) == 0 && s == SignNegative) {
			return SignPositive
		}
		return SignUnknown
	case OpMul, OpDiv:
		neg := false
		for _, a := range e.Args {
			switch a.Sign() {
			case SignNegative:
				neg = !neg
			case SignPositive:
			default:
				return SignUnknown
			}
		}
		if neg {
			return SignNegative
		}
		return SignPositive
	case OpAdd:
		s := e.Args[0].Sign()
		for _, a := range e.Args[1:] {
			if a.Sign() != s {
				return SignUnknown
			}
		}
		return s
	}
	return SignUnknown
}
