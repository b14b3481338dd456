// Package dataset holds the data that training and evaluation read: Dataset,
// a dense row-major matrix of examples; BitDataset, binary data stored one
// bit per value; the Source interface both implement; and the loaders and
// writers for IDX (MNIST-style, optionally gzipped) and numeric CSV files.
// Generated code does not use it.
package dataset
