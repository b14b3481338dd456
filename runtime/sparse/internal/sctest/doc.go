// Package sctest holds models with a laplace layer compiled by ebmc for the
// tests of runtime/sparse: sparse coding (SC) and a model whose Hessian
// reads visible units and whose thresholds differ per unit (Weighted).
package sctest

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg sctest -o sc_ebm.go sc.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg sctest -o weighted_ebm.go weighted.ebm
