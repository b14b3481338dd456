// Package h2000 is examples/rbm.ebm with 2000 hidden units, for the scaling table.
package h2000

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NH=2000 -o rbm_ebm.go ../../../examples/rbm.ebm
