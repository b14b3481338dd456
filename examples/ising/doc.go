// Package ising is the Go code ebmc generates from ../ising.ebm: spins with
// fixed lateral couplings, sampled site by site.
package ising

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -bench -o ising_ebm.go ../ising.ebm
