// Package models holds the generated models of the MNIST table that no
// other example provides, each size a type of its own: the mixtures of
// 10, 100 and 500 product-of-Bernoulli distributions over 28×28 binary
// images (../../mob.ebm), and Top2000, ../../rbm.ebm at 500 × 2000, the top
// RBM of the deep belief network 784-500-2000, whose visible units are the
// hidden units of the 784×500 RBM below it, and Top2000Swapped, the same
// RBM with its layers swapped (2000 × 500), to estimate the top's log Z by
// annealing over its other layer.
package models

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D K=10 -type MoB10 -o mob10_ebm.go ../../mob.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D K=100 -type MoB100 -o mob100_ebm.go ../../mob.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D K=500 -type MoB500 -o mob500_ebm.go ../../mob.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=500 -D NH=2000 -type Top2000 -o top2000_ebm.go ../../rbm.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=2000 -D NH=500 -type Top2000Swapped -o top2000swapped_ebm.go ../../rbm.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D N1=100 -D N2=200 -type DBM100 -o dbm100_ebm.go ../../dbm.ebm
