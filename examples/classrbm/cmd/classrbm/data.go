package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/ebmc/ebmc/runtime"
)

// fashion is Fashion-MNIST: raw pixels in [0, 1] and classes 0…9.
type fashion struct {
	train, test             *runtime.Dataset
	trainLabels, testLabels []int
}

// loadFashion reads the four IDX files from dir. The error wraps
// os.ErrNotExist when a file is missing (and only then).
func loadFashion(dir string) (*fashion, error) {
	files := []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
	var sets [4]*runtime.Dataset
	var missing, other []error
	for i, f := range files {
		d, err := runtime.LoadIDX(filepath.Join(dir, f))
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
	if f.trainLabels, err = labelsOf(sets[1], 10); err != nil {
		return nil, fmt.Errorf("%s: %w", files[1], err)
	}
	if f.testLabels, err = labelsOf(sets[3], 10); err != nil {
		return nil, fmt.Errorf("%s: %w", files[3], err)
	}
	if f.train.Rows != len(f.trainLabels) || f.test.Rows != len(f.testLabels) || f.train.Cols != 784 || f.test.Cols != 784 {
		return nil, fmt.Errorf("Fashion-MNIST in %s: images and labels do not match (%d×%d and %d labels, %d×%d and %d labels)",
			dir, f.train.Rows, f.train.Cols, len(f.trainLabels), f.test.Rows, f.test.Cols, len(f.testLabels))
	}
	return f, nil
}

// labelsOf turns a one-column IDX label file into class indices.
func labelsOf(d *runtime.Dataset, classes int) ([]int, error) {
	if d.Cols != 1 {
		return nil, fmt.Errorf("labels have %d columns, want 1", d.Cols)
	}
	out := make([]int, d.Rows)
	for i, v := range d.X[:d.Rows] {
		if v < 0 || v >= float64(classes) || v != math.Trunc(v) {
			return nil, fmt.Errorf("label %v of row %d is not a class 0…%d", v, i, classes-1)
		}
		out[i] = int(v)
	}
	return out, nil
}

// withLabels returns the rows of d followed by the one-hot encoding of
// their classes: the visible layers of the class RBM in declaration order
// (pixels v, then label y), as its trainers and free energies read them.
func withLabels(d *runtime.Dataset, labels []int, classes int) *runtime.Dataset {
	cols := d.Cols + classes
	out := &runtime.Dataset{Rows: d.Rows, Cols: cols, X: make([]float64, d.Rows*cols)}
	for r := range d.Rows {
		row := out.X[r*cols : (r+1)*cols]
		copy(row, d.Row(r))
		row[d.Cols+labels[r]] = 1
	}
	return out
}

// shapes returns n noisy 8×8 binary images and their classes, cycling
// through four: 0 a horizontal bar two pixels thick, 1 a vertical bar two
// pixels thick, 2 a diagonal or anti-diagonal line, 3 the outline of a
// 4×4 square, each at a random position; then every pixel is flipped with
// probability 0.05.
func shapes(n int, seed uint64) (*runtime.Dataset, []int) {
	const side = 8
	rng := runtime.NewRNG(seed, 0x5ea7)
	d := &runtime.Dataset{Rows: n, Cols: side * side, X: make([]float64, n*side*side)}
	labels := make([]int, n)
	for r := range n {
		img := d.X[r*side*side : (r+1)*side*side]
		set := func(i, j int) {
			if i >= 0 && i < side && j >= 0 && j < side {
				img[i*side+j] = 1
			}
		}
		labels[r] = r % 4
		switch labels[r] {
		case 0:
			i := rng.Intn(side - 1)
			for j := range side {
				set(i, j)
				set(i+1, j)
			}
		case 1:
			j := rng.Intn(side - 1)
			for i := range side {
				set(i, j)
				set(i, j+1)
			}
		case 2:
			off, anti := rng.Intn(7)-3, rng.Intn(2) == 1
			for i := range side {
				if anti {
					set(i, side-1-i+off)
				} else {
					set(i, i+off)
				}
			}
		case 3:
			i0, j0 := rng.Intn(side-3), rng.Intn(side-3)
			for t := range 4 {
				set(i0+t, j0)
				set(i0+t, j0+3)
				set(i0, j0+t)
				set(i0+3, j0+t)
			}
		}
		for i := range img {
			if rng.Float64() < 0.05 {
				img[i] = 1 - img[i]
			}
		}
	}
	return d, labels
}
