// Package tinyrbm is ../../rbm1.ebm at 3×2, the unlabelled top of the tiny
// DBNs the tests enumerate.
package tinyrbm

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NH=2 -o rbm_ebm.go ../../rbm1.ebm
