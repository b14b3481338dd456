// Package rbm is the Go code ebmc generates from ../rbm.ebm: a binary
// restricted Boltzmann machine with 784 visible and 500 hidden units.
package rbm

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -bench -o rbm_ebm.go ../rbm.ebm
