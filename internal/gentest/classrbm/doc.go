// Package classrbm is ../../../examples/classrbm.ebm at 4 pixels, 3 labels and
// 3 hidden units, compiled by ebmc.
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package classrbm
