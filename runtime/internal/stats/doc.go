// Package stats holds the small statistics on samples of weights and
// estimates (means, standard errors, effective sample sizes) that the
// estimators, the trainers and the deep models share.
package stats
