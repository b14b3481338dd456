// Package small is ../../../classrbm.ebm with 64 pixels, 4 classes and 20
// hidden units (log Z exact: 2²⁰ hidden configurations): the class RBM the
// command trains on its embedded 8×8 shapes when Fashion-MNIST is absent.
package small

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=64 -D NY=4 -D NH=20 -o classrbm_ebm.go ../../../classrbm.ebm
