// Package sparse does MAP inference, dictionary learning and predictive
// sparse decomposition for generated models with a laplace layer: sparse
// coding (Olshausen & Field 1996; Deep Learning §13.4 and §19.3),
//
//	E(v, h) = ½‖v − D·h‖² + λ·Σ_k |h_k|,
//
// or any energy whose smooth part is quadratic in the laplace units. The
// generated code supplies what ir derives from the energy — the smooth part
// f(v, h) = ½·hᵀQh − bᵀh + c (Hessian, Linear), the thresholds λ of the L1
// part g(h) = Σ λ_u·|h_u| (Thresholds) and its proximal step, soft
// thresholding (Prox) — and this package runs the loops that do not depend
// on the model:
//
//   - Solver.Solve finds h* = argmin_h f(v, h) + g(h) by proximal gradient
//     with step 1/L, L the largest eigenvalue of Q: ISTA, FISTA (Beck &
//     Teboulle 2009) and its monotone variant MFISTA, stopping when the
//     gradient mapping L·‖h − prox(h − ∇f(h)/L)‖∞ is at most a tolerance
//     (it is 0 exactly at the optimum), and reporting the iterations and
//     the final objective.
//   - Learn alternates MAP inference of a minibatch's codes with a projected
//     gradient step on the trained parameters (dictionary learning), each
//     column of the constrained parameters kept in a ball of given norm.
//   - TrainPSD trains an Encoder, g ⊙ tanh(W·v + b), to predict the MAP code
//     (predictive sparse decomposition, Kavukcuoglu, Ranzato & LeCun 2008),
//     the codes being inferred with the prediction term α‖h − F(v)‖² added.
//
// Nothing here samples: a laplace layer has no Gibbs conditional, mean-field
// update, free energy or log Z (ir.Model.Refusal says why).
package sparse
