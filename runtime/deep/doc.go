// Package deep trains and evaluates deep models built from generated
// Boltzmann machines: greedy layer-wise pretraining and joint training of deep
// Boltzmann machines (DBM), the centered gradient for their trainers
// (Centering), their variational lower bound (ELBO), and deep belief
// networks (DBN) with their stacking, backpropagation fine-tuning and
// likelihood bound. Generated code does not use it.
package deep
