// Package dsl parses the .ebm language into a positioned syntax tree.
//
// A .ebm file declares a model name, integer consts, layers of units,
// parameter tensors and one energy expression:
//
//	model RBM
//	const NV = 784
//	const NH = 500
//	visible v[NV] bernoulli
//	hidden  h[NH] bernoulli
//	param W[NV, NH] = normal(0, 0.01)
//	param b[NV]
//	param c[NH]
//	energy = -sum(i, j) v[i] * W[i, j] * h[j] - sum(i) b[i] * v[i] - sum(j) c[j] * h[j]
//
// Parse knows nothing of units, sizes or maths: it checks syntax only and
// reports the first syntax error as FILE:LINE:COL: message. Names, ranges
// and the energy's structure are checked by package ir.
//
// In expressions, sum(i, j) binds the product that follows it, as Σ does:
// sum(i) a[i]*b[i] - c is (Σᵢ aᵢbᵢ) − c. The operator ^ binds tightest and
// is right-associative; unary minus binds tighter than * and /.
//
// The keywords model, const, visible, hidden, param, energy, fixed and sum
// are reserved: the lexer does not read them as names.
package dsl
