// Package fvbm is a 5-unit fully visible Boltzmann machine compiled by ebmc.
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package fvbm
