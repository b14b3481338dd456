// Package h100 is examples/rbm.ebm with 100 hidden units, for the scaling table.
package h100

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NH=100 -o rbm_ebm.go ../../../examples/rbm.ebm
