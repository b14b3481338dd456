// Package grbm is the Go code ebmc generates from ../grbm.ebm: a
// Gaussian–Bernoulli RBM with a learned standard deviation per visible unit.
package grbm

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -bench -o grbm_ebm.go ../grbm.ebm
