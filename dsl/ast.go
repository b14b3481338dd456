package dsl

import "github.com/alecthomas/participle/v2/lexer"

// Pos is a 1-based source position: file name, line and column.
type Pos = lexer.Position

// File is a parsed .ebm file: a model name and its declarations in source order.
type File struct {
	Filename string
	Model    Ident
	Consts   []*Const
	Layers   []*Layer
	Params   []*Param
	Energies []*Energy // exactly one in a valid model; the checker reports others
}

// Ident is a name with the position where it is written.
type Ident struct {
	Pos  Pos
	Name string
}

// Const declares a compile-time integer: const NAME = VALUE.
type Const struct {
	Pos   Pos
	Name  Ident
	Value Size
}

// Size is a dimension: an integer literal or the name of a const.
type Size struct {
	Pos    Pos
	Number string // the literal text, when the size is a literal
	Name   string // the const's name, when it is not
}

// Role says whether a layer is observed (visible) or latent (hidden).
type Role string

const (
	Visible Role = "visible"
	Hidden  Role = "hidden"
)

// Layer declares a layer of units: visible|hidden NAME[DIMS] KIND.
type Layer struct {
	Pos  Pos
	Role Role
	Name Ident
	Dims []Size
	Kind Ident
}

// Param declares a parameter tensor: param NAME[DIMS] [= INIT] [fixed].
type Param struct {
	Pos   Pos
	Name  Ident
	Dims  []Size // empty for a scalar
	Init  *Init  // nil when absent (zeros)
	Fixed bool
}

// Init is a parameter initializer: zeros, ones, a number, normal(mean, std)
// or uniform(lo, hi).
type Init struct {
	Pos  Pos
	Name Ident     // "zeros", "ones", "normal", "uniform"; empty for a number
	Args []float64 // the arguments of normal/uniform, or the number
}

// Energy is the declaration energy = EXPR.
type Energy struct {
	Pos  Pos
	Expr Expr
}

// Expr is an energy expression node: *Number, *Ref, *Call, *Unary, *Binary or *Sum.
type Expr interface {
	Position() Pos
	exprNode()
}

// Number is a numeric literal.
type Number struct {
	Pos   Pos
	Text  string
	Value float64
}

// Ref names a const, a parameter or a layer, with index variables when
// written NAME[i, j].
type Ref struct {
	Pos     Pos
	Name    string
	Indices []Ident
}

// Call applies a function (exp, log, softplus, sqrt, abs) to its argument.
type Call struct {
	Pos  Pos
	Func Ident
	Arg  Expr
}

// Unary is negation: -X.
type Unary struct {
	Pos Pos
	X   Expr
}

// Binary is X Op Y with Op one of + - * / ^.
type Binary struct {
	Pos  Pos // the operator's position
	Op   byte
	X, Y Expr
}

// Sum is sum(i, j, ...) Body: Σ over the listed indices of the product that follows.
type Sum struct {
	Pos     Pos
	Indices []Ident
	Body    Expr
}

func (e *Number) Position() Pos { return e.Pos }
func (e *Ref) Position() Pos    { return e.Pos }
func (e *Call) Position() Pos   { return e.Pos }
func (e *Unary) Position() Pos  { return e.Pos }
func (e *Binary) Position() Pos { return e.Pos }
func (e *Sum) Position() Pos    { return e.Pos }

func (*Number) exprNode() {}
func (*Ref) exprNode()    {}
func (*Call) exprNode()   {}
func (*Unary) exprNode()  {}
func (*Binary) exprNode() {}
func (*Sum) exprNode()    {}
