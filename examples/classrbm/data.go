package main

import "github.com/ebmc/ebmc/runtime/dataset"

// withLabels returns the rows of d followed by the one-hot encoding of
// their classes: the visible layers of the class RBM in declaration order
// (pixels v, then label y), as its trainers and free energies read them.
// The rows are written only when gathered.
func withLabels(d dataset.Source, labels []int, classes int) *dataset.Labelled {
	return &dataset.Labelled{X: d, Labels: labels, Classes: classes}
}
