// Package smalltop is ../../top.ebm with 32 features, 4 classes and 20
// hidden units (log Z exact: 2²⁰ hidden configurations): the top of the DBN
// the command trains on its embedded 8×8 shapes.
package smalltop

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=32 -D NY=4 -D NH=20 -o toprbm_ebm.go ../../top.ebm
