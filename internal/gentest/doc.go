// Package gentest holds the small models compiled by ebmc for the tests of
// the generic code (training methods, estimators, deep models, EM, sparse
// coding), which cannot import generated packages from inside the packages
// they test. Each model is a package below this directory; Fixtures, one
// table, names every one of them, and go generate here (go run ./gen)
// writes them all.
package gentest

//go:generate go run ./gen
