package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ebmc/ebmc/examples/internal/labelled"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// fashion is Fashion-MNIST: raw pixels in [0, 1] and classes 0…9.
type fashion struct {
	train, test             *dataset.Dataset
	trainLabels, testLabels []int
}

// loadFashion reads the four IDX files from dir. The error wraps
// os.ErrNotExist when a file is missing (and only then).
func loadFashion(dir string) (*fashion, error) {
	files := []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
	var sets [4]*dataset.Dataset
	var missing, other []error
	for i, f := range files {
		d, err := dataset.LoadIDX(filepath.Join(dir, f))
		switch {
		case errors.Is(err, os.ErrNotExist):
			missing = append(missing, err)
		case err != nil:
			other = append(other, err)
		}
		sets[i] = d
	}
	if len(other) > 0 {
		return nil, errors.Join(other...)
	}
	if len(missing) > 0 {
		return nil, errors.Join(missing...)
	}
	f := &fashion{train: sets[0], test: sets[2]}
	var err error
	if f.trainLabels, err = labelled.Labels(sets[1], 10); err != nil {
		return nil, fmt.Errorf("%s: %w", files[1], err)
	}
	if f.testLabels, err = labelled.Labels(sets[3], 10); err != nil {
		return nil, fmt.Errorf("%s: %w", files[3], err)
	}
	if f.train.Rows != len(f.trainLabels) || f.test.Rows != len(f.testLabels) || f.train.Cols != 784 || f.test.Cols != 784 {
		return nil, fmt.Errorf("Fashion-MNIST in %s: images and labels do not match (%d×%d and %d labels, %d×%d and %d labels)",
			dir, f.train.Rows, f.train.Cols, len(f.trainLabels), f.test.Rows, f.test.Cols, len(f.testLabels))
	}
	return f, nil
}

// withLabels returns the rows of d followed by the one-hot encoding of
// their classes: the visible layers of the class RBM in declaration order
// (pixels v, then label y), as its trainers and free energies read them.
func withLabels(d *dataset.Dataset, labels []int, classes int) *dataset.Dataset {
	cols := d.Cols + classes
	out := &dataset.Dataset{Rows: d.Rows, Cols: cols, X: make([]float64, d.Rows*cols)}
	for r := range d.Rows {
		row := out.X[r*cols : (r+1)*cols]
		copy(row, d.Row(r))
		row[d.Cols+labels[r]] = 1
	}
	return out
}
