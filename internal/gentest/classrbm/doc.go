// Package classrbm is ../../../examples/classrbm.ebm at 4 pixels, 3 labels and
// 3 hidden units, compiled by ebmc.
package classrbm

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=4 -D NH=3 -D NY=3 -o classrbm_ebm.go ../../../examples/classrbm.ebm
