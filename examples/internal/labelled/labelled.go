// Package labelled holds what the labelled examples share: class indices
// from an IDX label file, and the embedded 8×8 shapes they train on when
// Fashion-MNIST is absent.
package labelled

import (
	"fmt"
	"math"

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
