// Package tiny1 is ../../rbm1.ebm at 4×3, the bottom of the tiny DBNs the
// tests enumerate.
package tiny1

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=4 -D NH=3 -o rbm_ebm.go ../../rbm1.ebm
