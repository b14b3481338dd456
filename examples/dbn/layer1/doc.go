// Package layer1 is the Go code ebmc generates from ../rbm1.ebm: the 784×500
// binary RBM at the bottom of the Fashion-MNIST deep belief network.
package layer1

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o rbm_ebm.go ../rbm1.ebm
