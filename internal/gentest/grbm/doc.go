// Package grbm is ../../../examples/grbm.ebm at 3×2, compiled by ebmc.
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package grbm
