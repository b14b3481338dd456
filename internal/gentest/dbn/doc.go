// Package dbn holds the layers of tiny deep belief networks, compiled by
// ebmc, each size a type of its own, small enough that every distribution
// they define can be enumerated: Tiny1 (4×3) and Tiny2 (3×3), the lower
// layer ../../../examples/dbn/rbm1.ebm; TinyRBM (3×2), the same as an
// unlabelled top, and TinyRBMSwapped (2×3), that top with its layers
// swapped (RAISE over the top's hidden layer); TinyTop (3 + 2 labels × 2), ../../../examples/dbn/top.ebm;
// and TinyDBM (3-3-2), ../../../examples/dbm.ebm, a model with two hidden
// layers that a DBN refuses.
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package dbn
