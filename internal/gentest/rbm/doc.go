// Package rbm is ../../../examples/rbm.ebm at 6×3, compiled by ebmc.
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package rbm
