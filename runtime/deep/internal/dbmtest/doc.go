// Package dbmtest holds a small deep Boltzmann machine compiled by ebmc for
// the tests of package deep.
package dbmtest

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg dbmtest -o dbm_ebm.go dbm.ebm
