// Package grbm is ../../../examples/grbm.ebm at 3×2, compiled by ebmc.
package grbm

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NH=2 -o grbm_ebm.go ../../../examples/grbm.ebm
