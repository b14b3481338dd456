// Command ebmc compiles energy-based models written in the .ebm language to
// Go.
//
// Usage:
//
//	ebmc check [-D NAME=VALUE]... FILE.ebm...
//	ebmc explain [-format text|markdown|latex] [-D NAME=VALUE]... FILE.ebm
//	ebmc gen [-o FILE] [-pkg NAME] [-D NAME=VALUE]... [-bench] FILE.ebm
//	ebmc version
//
// check parses and checks each file and prints every error as
// FILE:LINE:COL: message; it exits 1 when any file has errors.
//
// explain prints every derivation of a model as maths: the normalized
// energy, the layer graph and Gibbs schedule, the conditionals with their
// fields and precisions, mean-field updates, free energies, parameter and
// input gradients, flip deltas and tempered forms.
//
// gen writes NAME_ebm.go beside the input (or to -o), in the package that go
// generate runs in ($GOPACKAGE), or else the package named after the output
// directory. With -bench it also writes NAME_ebm_bench_test.go. It writes
// nothing when the model has errors, writes files atomically, and leaves a
// file untouched when its content would not change. In a module:
//
//	go get -tool github.com/ebmc/ebmc/cmd/ebmc
//
// and in a Go file beside the model:
//
//	//go:generate go tool ebmc gen -bench model.ebm
//
// -D NAME=VALUE overrides a const of the model, for any command.
package main
