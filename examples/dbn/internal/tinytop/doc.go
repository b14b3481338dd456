// Package tinytop is ../../top.ebm with 3 features, 2 classes and 2 hidden
// units, the labelled top of the tiny DBNs the tests enumerate.
package tinytop

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NV=3 -D NY=2 -D NH=2 -o toprbm_ebm.go ../../top.ebm
