package layout

import (
	"fmt"

	"github.com/ebmc/ebmc/runtime"
)

// Product is the number of units of a layer of the given shape: the product
// of its dimensions, 1 for a scalar.
func Product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// VisibleSize is the number of units of the visible layers together: the
// columns of a data row.
func VisibleSize(m runtime.Reflective) int {
	n := 0
	for _, ly := range m.Layers() {
		if ly.Visible {
			n += Product(ly.Shape)
		}
	}
	return n
}

// PutRows copies the first x.Len() rows of rows (cols values each: the
// visible layers concatenated in declaration order) into the visible layers
// of x.
func PutRows(m runtime.Reflective, x runtime.Chains, rows []float64, cols int) {
	layers := x.Layers()
	off := 0
	for i, ly := range m.Layers() {
		if !ly.Visible {
			continue
		}
		size := Product(ly.Shape)
		for r := range x.Len() {
			copy(layers[i].Data[r*size:(r+1)*size], rows[r*cols+off:r*cols+off+size])
		}
		off += size
	}
}

// ElementString writes the position of flat (row-major) index k in shape:
// "[1 0] (flat index 3)", or "[3]" for a one-dimensional shape and "[]"
// for a scalar.
func ElementString(shape []int, k int) string {
	idx := make([]int, len(shape))
	for i, r := len(shape)-1, k; i >= 0; i-- {
		if shape[i] > 0 {
			idx[i], r = r%shape[i], r/shape[i]
		}
	}
	if len(shape) < 2 {
		return fmt.Sprint(idx)
	}
	return fmt.Sprintf("%v (flat index %d)", idx, k)
}
