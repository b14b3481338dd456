// Package dbm is the Go code ebmc generates from ../dbm.ebm: a deep
// Boltzmann machine with two hidden layers.
package dbm

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -bench -o dbm_ebm.go ../dbm.ebm
