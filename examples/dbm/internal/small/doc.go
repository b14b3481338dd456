// Package small is ../../../dbm.ebm generated at 9 visible units (3×3
// images) and 8 and 4 hidden units: 2¹³ configurations of v and h2 once
// h1 is summed out, for testing greedy pretraining against the exact
// log-likelihood.
package small

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o dbm_ebm.go -pkg small -D NV=9 -D N1=8 -D N2=4 ../../../dbm.ebm
