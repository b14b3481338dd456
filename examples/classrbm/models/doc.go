// Package models is ../../classrbm.ebm, an RBM over images and a one-hot
// label, compiled by ebmc at the sizes the class-RBM example uses, each
// size a type of its own: ClassRBM, 784 pixels + 10 labels × 500 hidden
// units, for Fashion-MNIST; Small, 64 pixels + 4 labels × 20 hidden units
// (log Z exact: 2²⁰ hidden configurations), the model the example trains on
// its embedded 8×8 shapes when Fashion-MNIST is absent.
package models

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -bench -type ClassRBM -o classrbm_ebm.go ../../classrbm.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=64 -D NY=4 -D NH=20 -type Small -o small_ebm.go ../../classrbm.ebm
