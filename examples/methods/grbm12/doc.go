// Package grbm12 is ../../grbm.ebm with 12 hidden units (784×12), compiled by
// ebmc: a Gaussian–Bernoulli RBM whose log Z is exact by enumerating the 2¹²
// hidden configurations (the visible units integrate in closed form).
package grbm12

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NH=12 -o grbm_ebm.go ../../grbm.ebm
