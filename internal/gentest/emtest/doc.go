// Package emtest holds small models compiled by ebmc for the tests of
// training.EM: mixtures of product-of-Bernoulli components (Mix, Tiny, and
// Odd with another layout), one without free mixing weights (NoPrior), one
// with a gaussian hidden layer (GHid) and a deep Boltzmann machine (Deep).
//
// Its generated files are written by go generate in internal/gentest, from
// the table gentest.Fixtures.
package emtest
