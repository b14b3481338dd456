// Package estimators measures and samples generated models through
// runtime.Reflective: partition functions by annealed importance sampling
// (AIS, ReverseAIS, BridgedAIS, RAISE, BAR) from a base model (Base,
// BaseRate, Uniform), log-likelihoods and their proxies (LogLikelihood,
// PseudoLikelihood, Reconstruction, FreeEnergies), classification
// (ClassProbs, Accuracy), hidden features (Transform), sampling (Sampler,
// Sample, Tempering) and completion of missing values (Complete, ICM).
// Generated code does not use it.
package estimators
