// Package gentest holds small models compiled by ebmc for the tests of
// generic runtime code (training methods, estimators), which cannot import
// generated packages from inside the runtime package itself.
package gentest
