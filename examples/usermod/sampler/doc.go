// Package sampler shows ebmc used from another module: the model is
// compiled to Go by go generate, and the package tests and benchmarks it.
package sampler

//go:generate go tool ebmc gen -bench model.ebm
