package ir

import (
	"github.com/ebmc/ebmc/dsl"
)

// Kind is the value set of a layer's units.
type Kind int

const (
	Bernoulli Kind = iota // xᵢ ∈ {0, 1}
	Spin                  // sᵢ ∈ {−1, +1}
	Gaussian              // xᵢ ∈ ℝ
	Softmax               // one-hot over the last dimension
	Laplace               // xᵢ ∈ ℝ, with an L1 term λ·|xᵢ| in the energy (sparse coding)
)

func (k Kind) String() string { return kinds[k].Name }

// Discrete reports whether the kind's units take finitely many values.
func (k Kind) Discrete() bool { return k != Gaussian && k != Laplace }

// Model is a checked .ebm model with every derivation.
type Model struct {
	Name     string
	Pos      dsl.Pos // of the model's name
	Filename string
	Consts   []Const
	Layers   []*Layer
	Params   []*Param
	Source   dsl.Expr // the energy as written
	Terms    []*Term  // the energy as a normalized sum of monomials
	Indices  []*Index // every index variable; Index.ID is its position here

	// Derived.
	Interacts    [][]bool       // Interacts[a][b]: some term holds units of layers a and b (a ≠ b)
	Schedule     []*Block       // the Gibbs schedule: blocks sampled in this order
	Conditionals []*Conditional // one per layer, in declaration order
	FreeEnergies []*FreeEnergy  // one per block that can be summed out analytically
	Gradients    []*Gradient    // one per trainable parameter, in declaration order

	// Penalties are the L1 terms λ·|x| over units of laplace layers: the
	// non-smooth part of the energy, kept out of Terms (the smooth part).
	Penalties []*Penalty
	// Sparse is the MAP derivation of a model with a laplace layer (nil
	// for the others, and then Penalties is empty).
	Sparse *Sparse
}

// Const is a named compile-time integer.
type Const struct {
	Name  string
	Value int
	Pos   dsl.Pos // of its declaration; zero for a const that -D adds
}

// Layer is a declared layer of units.
type Layer struct {
	Name    string
	Index   int // position in Model.Layers
	Visible bool
	Kind    Kind
	Shape   []int
	Size    int  // product of Shape
	Lateral bool // some term couples two of its units: sampled site by site
	Pos     dsl.Pos
}

// Categories is the size of a softmax group (the last dimension); 1 otherwise.
func (l *Layer) Categories() int {
	if l.Kind != Softmax {
		return 1
	}
	return l.Shape[len(l.Shape)-1]
}

// Groups is the number of independent one-hot groups of a softmax layer, or Size.
func (l *Layer) Groups() int { return l.Size / l.Categories() }

// Param is a declared parameter tensor; a scalar has an empty Shape and Size 1.
type Param struct {
	Name  string
	Index int // position in Model.Params
	Shape []int
	Size  int
	Init  Init
	Fixed bool
	Pos   dsl.Pos
}

// InitKind names a parameter initializer.
type InitKind int

const (
	InitZeros InitKind = iota
	InitConstant
	InitNormal
	InitUniform
)

// Init is a parameter initializer: every element A (InitConstant),
// N(A, B²) (InitNormal) or U(A, B) (InitUniform).
type Init struct {
	Kind InitKind
	A, B float64
}

// Index is an index variable bound by a sum, with its inferred range 0..Size−1.
// Variables are renamed apart: every sum binds fresh ones, so an ID is unique.
type Index struct {
	Name string // as written, for printing
	ID   int
	Size int
	Pos  dsl.Pos
}

// UnitRef is a reference to one unit of a layer, raised to Power (1, or 2 for gaussian units).
type UnitRef struct {
	Layer *Layer
	Index []*Index
	Power int
	// Abs marks the unit of an L1 term, |x| (Model.Penalties), which is
	// never part of a monomial.
	Abs bool
	Pos dsl.Pos
}

// Distinct constrains two index tuples to differ: (A₁…Aₙ) ≠ (B₁…Bₙ). It is
// how the off-diagonal part of a lateral coupling is kept apart from its diagonal.
type Distinct struct {
	A, B []*Index
}

// Term is one monomial of the energy: Σ_{Sum, Distinct} Coef · Π Units.
// Coef depends on parameters and constants only.
type Term struct {
	Coef     *Expr
	Units    []UnitRef
	Sum      []*Index
	Distinct []Distinct
	Pos      dsl.Pos
}

// Block is a set of layers that are conditionally independent given all the
// others, so a Gibbs sweep samples them together.
type Block struct {
	Layers []*Layer
}

// Family is the distribution of a unit given all the other units.
type Family int

const (
	Logistic    Family = iota // bernoulli: p(x=1) = σ(a)
	Tanh                      // spin: p(s) ∝ exp(a·s), E[s] = tanh(a)
	Normal                    // gaussian: N(a/P, 1/P)
	Categorical               // softmax: p(x_c=1) = exp(a_c) / Σ_k exp(a_k)
	Proximal                  // laplace: no conditional is derived; MAP by proximal gradient
)

var familyNames = [...]string{"logistic", "tanh", "normal", "categorical", "proximal"}

func (f Family) String() string { return familyNames[f] }

// Conditional is p(L_u | all other units) for a generic unit u of layer L,
// read off the energy written as E = ½·P_u·x_u² − a_u·x_u + (terms without x_u):
//
//	a_u = Σ Field      (the field, or pre-activation)
//	P_u = Σ Precision  (gaussian units only; the conditional precision)
//
// Tempering E → β·E scales both by β.
type Conditional struct {
	Layer     *Layer
	Family    Family
	Unit      []*Index        // the index variables that name u
	Field     []*Contribution // a_u = −∂E/∂x_u from terms linear in x_u
	Precision []*Contribution // P_u = ∂²E/∂x_u² from terms quadratic in x_u
}

// Contribution is Σ_{Sum, Distinct} Coef · Π Units, a piece of a field,
// precision, free energy or gradient, with Unit variables free.
type Contribution struct {
	Term     *Term // the energy term it comes from
	Coef     *Expr
	Units    []UnitRef
	Sum      []*Index
	Distinct []Distinct
	// MatVec, for a field contribution, is set when it is a matrix
	// product over a batch of chains (see plan.go).
	MatVec *MatVec
}

// FreeEnergy is F(rest) = −log Σ_{SumOut} exp(−E): the layers of SumOut do
// not interact with each other, so
//
//	F = Σ Rest − Σ_{L ∈ SumOut} Σ_u log Σ_{x_u} exp(a_u x_u − ½ P_u x_u²)
//
// where Rest are the terms without a unit of SumOut, and a_u, P_u are the
// conditionals of the summed-out layers.
type FreeEnergy struct {
	SumOut []*Layer
	Keep   []*Layer
	Rest   []*Term
}

// Gradient is ∂E/∂θ for a trainable parameter θ: for each element θ[k],
// the sum of the parts whose Wrt reference is evaluated at k.
type Gradient struct {
	Param *Param
	Parts []*GradPart
}

// GradPart is the derivative of one term through one occurrence of θ in its
// coefficient: Σ_{Sum, Distinct} Coef · Π Units, accumulated into θ[Wrt.Index].
type GradPart struct {
	Contribution
	Wrt *Expr // the OpParam node of θ differentiated through
	// Outer and RowSum are set when the part is, over a batch of chains, an
	// outer product of two layers or a sum of a layer's rows (see plan.go).
	Outer  *Outer
	RowSum *RowSum
}
