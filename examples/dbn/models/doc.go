// Package models holds the layers of the deep belief networks of the DBN
// example, compiled by ebmc, each a type of its own: RBM, ../rbm1.ebm, the
// 784×500 binary RBM at the bottom of the Fashion-MNIST network; TopRBM,
// ../top.ebm, its top RBM, 500 features and a 10-way label against 2000
// hidden units; and for the quick labelled run on the embedded shapes
// Small1 (64×32) and SmallTop (32 + 4 labels × 20). The enumerable layers
// the tests of runtime/deep check exact probabilities against are in
// internal/gentest/dbn.
package models

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -type RBM -o rbm_ebm.go ../rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -type TopRBM -o toprbm_ebm.go ../top.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=64 -D NH=32 -type Small1 -o small1_ebm.go ../rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=32 -D NY=4 -D NH=20 -type SmallTop -o smalltop_ebm.go ../top.ebm
