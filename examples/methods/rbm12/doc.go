// Package rbm12 is ../../rbm.ebm with 12 hidden units (784×12), compiled by
// ebmc: small enough that log Z, and so the exact log-likelihood and its
// gradient, come from enumerating the 2¹² hidden configurations.
package rbm12

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen -D NH=12 -o rbm_ebm.go ../../rbm.ebm
