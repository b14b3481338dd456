// Package mixed is mixed.ebm: bernoulli visible units, a spin hidden layer
// with lateral couplings and a softmax hidden layer, for testing the
// variational bound and MAP inference beyond bernoulli units.
package mixed

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o mixed_ebm.go -pkg mixed mixed.ebm
