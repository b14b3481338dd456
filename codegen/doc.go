// Package codegen turns a checked model (package ir) into Go source.
//
// Generate writes one file per model through a small line printer and
// formats it with goimports; when the output does not parse it fails with a
// numbered listing. It re-derives nothing: every sum the generated code
// computes — fields a_u and precisions P_u of the conditionals, energies,
// the remaining terms of free energies, ∂E/∂θ — is a Σ_{indices} coef·Πunits
// from the IR, written by one loop-nest emitter (loops.go) that
//
//   - orders the loops so the innermost walks the largest tensor contiguously,
//   - hoists every factor of the coefficient to the outermost loop where its
//     indices are bound,
//   - skips zero units of binary layers, and
//   - keeps an accumulator in a register when the destination is fixed for the
//     inner loops.
//
// Where a contribution is a matrix–vector product (a field c·Σ_s P[u,s]·x[s],
// a gradient c·Σ x[a]·y[b]), it calls the runtime's dense kernels instead:
// one matrix–matrix product for a batch of chains.
//
// The emitted API is documented in the repository's README; the generated
// code implements runtime.Model, runtime.Trainer (its trainer) and
// runtime.Reflective (through Reflect).
package codegen
