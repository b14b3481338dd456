// Package training drives the training of generated models: Fit runs any
// runtime.Trainer over a data set in minibatches (Batches), with
// checkpoints, divergence checks and early stopping; NewObjectiveTrainer
// trains any model by another inductive principle (exact maximum
// likelihood, pseudo-likelihood, ratio matching, score matching, denoising
// score matching, noise-contrastive estimation, conditional likelihood); EM
// fits mixtures by expectation maximisation. Generated code does not use it.
package training
