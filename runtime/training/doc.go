// Package training drives the training of generated models: Fit runs any
// runtime.Trainer over a data set in minibatches (Batches), with
// checkpoints, divergence checks and early stopping; NewTrainer trains any
// model by a Method, one type per inductive principle (CD, PCD, Exact
// maximum likelihood, PL pseudo-likelihood, Ratio matching, Score matching,
// DSM denoising score matching, NCE noise-contrastive estimation,
// Conditional likelihood); EM
// fits mixtures by expectation maximisation. Generated code does not use it.
package training
