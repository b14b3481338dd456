// Package bas is ../rbm.ebm generated at 16 visible and 16 hidden units, the
// size of the 4×4 bars-and-stripes data the quick start trains on.
package bas

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=16 -D NH=16 -o rbm_ebm.go ../rbm.ebm
