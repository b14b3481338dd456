// Package models holds the small deep-belief-network layers the DBN
// example and its tests use on the embedded shapes, each size a type of
// its own: Small1 (64×32) and SmallTop (32 + 4 labels × 20). The enumerable
// layers the tests of runtime/deep check exact probabilities against are
// in internal/gentest/dbn.
package models

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=64 -D NH=32 -type Small1 -o small1_ebm.go ../../rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=32 -D NY=4 -D NH=20 -type SmallTop -o smalltop_ebm.go ../../top.ebm
