// Package labelled holds what the labelled examples share: class indices
// from an IDX label file, Fashion-MNIST with its labels held as bytes, and
// the embedded 8×8 shapes they train on when Fashion-MNIST is absent.
package labelled

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
)

// Labels turns a one-column IDX label file into class indices.
func Labels(d *dataset.Dataset, classes int) ([]int, error) {
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

// Shapes returns n noisy 8×8 images, a quarter each of a horizontal bar
// (two rows), a vertical bar (two columns), a diagonal line and the outline
// of a 4×4 square, at random positions, with every pixel flipped with
// probability 0.05; and their classes 0…3.
func Shapes(n int, seed uint64) (*dataset.Dataset, []int) {
	const side = 8
	rng := runtime.NewRNG(seed, 0x5a)
	d := &dataset.Dataset{Rows: n, Cols: side * side, X: make([]float64, n*side*side)}
	labels := make([]int, n)
	for r := range n {
		img := d.X[r*side*side : (r+1)*side*side]
		class := r % 4
		labels[r] = class
		switch class {
		case 0:
			row := rng.Intn(side - 1)
			for c := range side {
				img[row*side+c], img[(row+1)*side+c] = 1, 1
			}
		case 1:
			col := rng.Intn(side - 1)
			for i := range side {
				img[i*side+col], img[i*side+col+1] = 1, 1
			}
		case 2:
			off := rng.Intn(7) - 3
			anti := rng.Intn(2) == 1
			for i := range side {
				c := i + off
				if anti {
					c = side - 1 - i + off
				}
				if c >= 0 && c < side {
					img[i*side+c] = 1
				}
			}
		case 3:
			r0, c0 := rng.Intn(side-3), rng.Intn(side-3)
			for i := range 4 {
				img[(r0+i)*side+c0], img[(r0+i)*side+c0+3] = 1, 1
				img[r0*side+c0+i], img[(r0+3)*side+c0+i] = 1, 1
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

// Fashion is Fashion-MNIST with the classes 0…9 of its images, the images
// held as T: *dataset.ByteDataset (grey levels, pixel/255 when gathered,
// the values dataset.LoadIDX gives, in an eighth of the memory) or
// *dataset.BitDataset (binarized, a bit per pixel).
type Fashion[T dataset.Source] struct {
	Train, Test             T
	TrainLabels, TestLabels []int
}

// FashionFiles are the four IDX files of Fashion-MNIST, as Debian's
// dataset-fashion-mnist installs them.
var FashionFiles = [4]string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}

// LoadFashion reads the four IDX files from dir, the images as bytes. The
// error wraps os.ErrNotExist when a file is missing (and only then).
func LoadFashion(dir string) (*Fashion[*dataset.ByteDataset], error) {
	return loadFashion(dir, dataset.LoadIDXBytes)
}

// LoadFashionBits reads the four IDX files from dir, the images binarized
// as pixel/255 > threshold into bits, one image at a time.
func LoadFashionBits(dir string, threshold float64) (*Fashion[*dataset.BitDataset], error) {
	return loadFashion(dir, func(path string) (*dataset.BitDataset, error) { return dataset.LoadIDXBits(path, threshold) })
}

func loadFashion[T dataset.Source](dir string, images func(path string) (T, error)) (*Fashion[T], error) {
	f := &Fashion[T]{}
	var missing, other []error
	for i, name := range FashionFiles {
		path := filepath.Join(dir, name)
		var err error
		switch i {
		case 0:
			f.Train, err = images(path)
		case 2:
			f.Test, err = images(path)
		default:
			var d *dataset.Dataset
			if d, err = dataset.LoadIDX(path); err == nil {
				var labels []int
				if labels, err = Labels(d, 10); err != nil {
					err = fmt.Errorf("%s: %w", name, err)
				}
				if i == 1 {
					f.TrainLabels = labels
				} else {
					f.TestLabels = labels
				}
			}
		}
		switch {
		case errors.Is(err, os.ErrNotExist):
			missing = append(missing, err)
		case err != nil:
			other = append(other, err)
		}
	}
	if len(other) > 0 {
		return nil, errors.Join(other...)
	}
	if len(missing) > 0 {
		return nil, errors.Join(missing...)
	}
	trainRows, trainCols := f.Train.Shape()
	testRows, testCols := f.Test.Shape()
	if trainRows != len(f.TrainLabels) || testRows != len(f.TestLabels) || trainCols != 784 || testCols != 784 {
		return nil, fmt.Errorf("Fashion-MNIST in %s: images and labels do not match (%d×%d and %d labels, %d×%d and %d labels)",
			dir, trainRows, trainCols, len(f.TrainLabels), testRows, testCols, len(f.TestLabels))
	}
	return f, nil
}

// ShapeBytes is Shapes held as bytes (every pixel 0 or 255).
func ShapeBytes(n int, seed uint64) (*dataset.ByteDataset, []int) {
	d, labels := Shapes(n, seed)
	b := make([]byte, len(d.X))
	for i, v := range d.X {
		b[i] = byte(255 * v)
	}
	out, err := dataset.NewByteDataset(d.Rows, d.Cols, b)
	if err != nil {
		panic(err) // the shape is Shapes' own
	}
	return out, labels
}
