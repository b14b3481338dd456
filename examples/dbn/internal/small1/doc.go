// Package small1 is ../../rbm1.ebm at 64×32: the bottom layer of the DBN the
// command trains on its embedded 8×8 shapes when Fashion-MNIST is absent.
package small1

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=64 -D NH=32 -o rbm_ebm.go ../../rbm1.ebm
