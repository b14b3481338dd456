// Package n500 is ../../dbm.ebm generated with 500 units in the second
// hidden layer, a 784-500-500 deep Boltzmann machine: about 0.6 of the
// cost of 784-500-1000 per mean-field sweep and Gibbs sweep, for runs on
// few cores (examples/dbm/cmd/dbm -small).
package n500

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o dbm_ebm.go -pkg n500 -D N2=500 ../../dbm.ebm
