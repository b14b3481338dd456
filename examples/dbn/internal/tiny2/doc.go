// Package tiny2 is ../../rbm1.ebm at 3×3, the middle layer of the tiny DBNs
// the tests enumerate.
package tiny2

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NH=3 -o rbm_ebm.go ../../rbm1.ebm
