// Package sctest holds models with a laplace layer compiled by ebmc for the
// tests of runtime/sparse: sparse coding (SC) and a model whose Hessian
// reads visible units and whose thresholds differ per unit (Weighted).
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package sctest
