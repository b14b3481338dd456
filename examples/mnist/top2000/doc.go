// Package top2000 is ../../rbm.ebm generated at 500 × 2000: the top RBM of
// the MNIST table's deep belief network 784-500-2000, whose visible units
// are the hidden units of the 784×500 RBM below it.
package top2000

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=500 -D NH=2000 -o rbm_ebm.go ../../rbm.ebm
