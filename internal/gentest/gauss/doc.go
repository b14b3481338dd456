// Package gauss is a three-unit Gaussian with a full precision matrix, compiled by ebmc.
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package gauss
