// Package rbm is ../../../examples/rbm.ebm at 6×3, compiled by ebmc.
package rbm

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=6 -D NH=3 -o rbm_ebm.go ../../../examples/rbm.ebm
