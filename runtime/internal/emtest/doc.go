// Package emtest holds small models compiled by ebmc for the tests of
// training.EM: mixtures of product-of-Bernoulli components (Mix, Tiny, and
// Odd with another layout), one without free mixing weights (NoPrior), one
// with a gaussian hidden layer (GHid) and a deep Boltzmann machine (Deep).
package emtest

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg emtest -o mix_ebm.go mix.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg emtest -o tiny_ebm.go tiny.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg emtest -o odd_ebm.go odd.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg emtest -o noprior_ebm.go noprior.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg emtest -o ghid_ebm.go ghid.ebm
//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -pkg emtest -o deep_ebm.go deep.ebm
