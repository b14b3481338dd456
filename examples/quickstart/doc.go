// Package quickstart is the README's quick start: model.ebm, a 16×8 binary
// RBM, generated into this package, and an Example that trains it on the
// 4×4 bars-and-stripes patterns, samples it, extracts features, saves and
// loads it, and evaluates it by AIS against its exact log Z.
package quickstart

//go:generate go run github.com/ebmc/ebmc/cmd/ebmc gen model.ebm
