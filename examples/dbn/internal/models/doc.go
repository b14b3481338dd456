// Package models holds the small deep-belief-network layers the DBN
// example and its tests use, each size a type of its own: Small1 (64×32)
// and SmallTop (32 + 4 labels × 20) for the quick labelled run, and the
// enumerable Tiny1 (4×3), Tiny2 (3×3), TinyRBM (3×2) and TinyTop (3 + 2
// labels × 2) against which the tests check exact probabilities.
package models

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=64 -D NH=32 -type Small1 -o small1_ebm.go ../../rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=32 -D NY=4 -D NH=20 -type SmallTop -o smalltop_ebm.go ../../top.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=4 -D NH=3 -type Tiny1 -o tiny1_ebm.go ../../rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NH=3 -type Tiny2 -o tiny2_ebm.go ../../rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NH=2 -type TinyRBM -o tinyrbm_ebm.go ../../rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NY=2 -D NH=2 -type TinyTop -o tinytop_ebm.go ../../top.ebm
