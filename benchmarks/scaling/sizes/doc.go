// Package sizes holds examples/rbm.ebm with 100 and with 2000 hidden units
// (the types RBM100 and RBM2000), for the scaling table beside the
// 784×500 RBM of examples/rbm.
package sizes

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NH=100 -type RBM100 -o rbm100_ebm.go ../../../examples/rbm.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NH=2000 -type RBM2000 -o rbm2000_ebm.go ../../../examples/rbm.ebm
