// Package verify checks the Go code generated for a model against brute
// force, so that a user can trust a new .ebm without writing a test. It is
// what ebmc verify runs, and what the codegen tests build their driver with.
//
// The model is compiled at tiny sizes (Shrink lowers every const the user
// does not fix until the discrete layers have at most 2¹² joint
// configurations), its code is generated (or taken from a file), built in a
// temporary module with a driver that serves harness requests (Build), and
// Run compares it, on random parameters and states, with:
//
//   - the energy as written in the .ebm file (the interpreter's normalized
//     energy, and the generated one);
//   - conditionals by brute force: p(unit | rest) from the energies of its
//     values, and for gaussian units the quadratic read off E(−1), E(0),
//     E(1), at β = 1 and 0.6 (1e-9);
//   - free energies: enumeration of discrete sum-outs, the closed-form
//     Gaussian integral of gaussian ones, with the quadratic form read off
//     energies alone (1e-9);
//   - ∂E/∂θ and ∂F/∂θ, summed over chains, against central differences
//     (h = 1e-5, relative 1e-6);
//   - mean field and exact log Z against the interpreter (1e-9);
//   - the sampler: total variation between the final states of 20000
//     independent chains after 100 sweeps and the exact distribution of the
//     discrete layers, under the bound ½Σ√(p(1−p)/n) + √(ln 10⁶/(2n)) that
//     an exact sampler exceeds with probability below 10⁻⁶;
//   - AIS (1000 temperatures, 100 runs) against the exact log Z: within
//     0.1 nats, and the exact value inside its ±3σ interval;
//   - zero allocations of the hot paths, and finite parameters after a few
//     CD-1 epochs.
//
// A check that does not apply (no free energy, gaussian layers that cannot
// be summed out) is reported as skipped, with the reason.
package verify
