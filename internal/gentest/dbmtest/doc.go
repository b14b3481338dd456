// Package dbmtest holds small deep Boltzmann machines compiled by ebmc: a
// 16-12-8 DBM for the tests of package deep, and one whose visible layers
// are a spin and a softmax layer for the tests of the marginal AIS path.
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package dbmtest
