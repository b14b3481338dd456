// Command ebmc compiles energy-based models written in the .ebm language to
// Go.
//
// Usage:
//
//	ebmc check [-D NAME=VALUE]... FILE.ebm...
//	ebmc explain [-format text|markdown|latex] [-D NAME=VALUE]... FILE.ebm
//	ebmc gen [-check] [-o FILE] [-pkg NAME] [-D NAME=VALUE]... [-bench] [-float32] FILE.ebm
//	ebmc gen -target torch [-check] [-o FILE] [-D NAME=VALUE]... FILE.ebm
//	ebmc verify [-D NAME=VALUE]... [-code FILE.go] [-seed N] [-module DIR] FILE.ebm
//	ebmc version
//
// check parses and checks each file and prints every error as
// FILE:LINE:COL: message; it exits 1 when any file has errors.
//
// explain prints every derivation of a model as maths: the normalized
// energy, the layer graph and Gibbs schedule, the conditionals with their
// fields and precisions, mean-field updates, free energies, parameter
// gradients, the sums that run as matrix products over a batch of chains,
// input gradients, flip deltas and tempered forms.
//
// gen writes NAME_ebm.go beside the input (or to -o), in the package -pkg
// names, or that go generate runs in ($GOPACKAGE), or else the package named
// after the output directory, in lower case; a name that is not a Go
// identifier, or is a keyword, is refused (pass -pkg). With -bench it also writes NAME_ebm_bench_test.go. With
// -float32 the generated chains and trainers run their batched matrix
// products in float32 (runtime.Workspace.SetFloat32: operands read rounded
// to float32, sums in float32, half the bytes read), where the CPU has the
// float32 kernels (AVX2 and FMA, or AVX-512, on amd64); parameters, states
// and all else stay float64. It writes
// nothing when the model has errors, writes files atomically, and leaves a
// file untouched when its content would not change. The header of every
// generated file names the ebmc version and carries short sha256 hashes of
// the .ebm text and of the flags that change the output (-pkg, -D, -bench,
// -float32), and nothing that depends on the time or on directories, so
// regenerating is idempotent and an edited model leaves its old output
// stale. With -check, gen writes nothing: it exits 0 when every output
// file is exactly what it would write now, and otherwise exits 1, naming
// each stale or missing file and saying to run go generate. In a module
// (until ebmc is published, after go mod edit -replace
// github.com/ebmc/ebmc=/path/to/a/clone; see the README):
//
//	go get -tool github.com/ebmc/ebmc/cmd/ebmc
//
// and in a Go file beside the model:
//
//	//go:generate go tool ebmc gen -bench model.ebm
//
// gen -target torch writes NAME_ebm.py beside the input (or to -o): one
// self-contained Python file for PyTorch ≥ 1.13 (package codegen/torch)
// holding the model as an nn.Module — energy, conditionals, free energies
// and closed-form gradients derived as for Go, samplers, mean field, exact
// log Z, AIS, CD-k/PCD-k training, safetensors checkpoints in the Go
// target's layout, and a torchrun-compatible launcher (python3 NAME_ebm.py
// train -h). Its header has the same version and hashes; -check works as
// for Go; -pkg, -type, -bench and -float32 are refused.
//
// verify generates the model at tiny sizes — the consts not fixed with -D
// are lowered until its discrete layers have at most 2¹² joint
// configurations — compiles the code in a temporary module and runs a
// battery of checks: energies and conditionals (β = 1 and 0.6) against
// brute force, free energies against enumeration or the Gaussian integral,
// gradients against finite differences, mean field and exact log Z against
// the interpreter, the sampler's distribution against the exact one in
// total variation, AIS against the exact log Z, zero allocations, and a
// few CD-1 epochs. It prints a table of the checks with their figures and
// limits and a last line "N passed, M failed", and exits 1 when any check
// fails (naming it on standard error). With -code it checks that Go file —
// ebmc's output for the model, whose sizes it reads — instead of fresh
// code. The code is built against the ebmc module that the model's module
// requires (go list -m), else the source ebmc was built from, else -module.
//
// -D NAME=VALUE overrides a const of the model, for any command.
package main
