// Package modeltest holds helpers shared by the tests of runtime and of the
// packages split from it: random rows and exact samples for a model's visible
// layers, free energies of data rows, and random perturbation of a model's
// parameters. Only tests import it.
package modeltest
