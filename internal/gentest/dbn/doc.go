// Package dbn holds the layers of tiny deep belief networks, compiled by
// ebmc, each size a type of its own, small enough that every distribution
// they define can be enumerated: Tiny1 (4×3) and Tiny2 (3×3), the lower
// layer ../../../examples/dbn/rbm1.ebm; TinyRBM (3×2), the same as an
// unlabelled top; TinyTop (3 + 2 labels × 2), ../../../examples/dbn/top.ebm;
// and TinyDBM (3-3-2), ../../../examples/dbm.ebm, a model with two hidden
// layers that a DBN refuses.
package dbn

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=4 -D NH=3 -type Tiny1 -o tiny1_ebm.go ../../../examples/dbn/rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NH=3 -type Tiny2 -o tiny2_ebm.go ../../../examples/dbn/rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NH=2 -type TinyRBM -o tinyrbm_ebm.go ../../../examples/dbn/rbm1.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NY=2 -D NH=2 -type TinyTop -o tinytop_ebm.go ../../../examples/dbn/top.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D N1=3 -D N2=2 -type TinyDBM -o tinydbm_ebm.go ../../../examples/dbm.ebm
