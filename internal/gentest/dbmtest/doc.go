// Package dbmtest holds a small deep Boltzmann machine compiled by ebmc for
// the tests of package deep.
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package dbmtest
