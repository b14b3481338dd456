// Package top is the Go code ebmc generates from ../top.ebm: the top RBM of
// the Fashion-MNIST deep belief network, 500 features and a 10-way label
// against 2000 hidden units.
package top

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -o toprbm_ebm.go ../top.ebm
