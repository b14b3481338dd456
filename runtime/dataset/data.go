package dataset

import "math"

// Dataset is a dense data matrix: Rows examples of Cols values each, stored
// row-major in X (len(X) = Rows·Cols).
type Dataset struct {
	Rows, Cols int
	X          []float64
}

// Row returns a view of row i, X[i·Cols : (i+1)·Cols]. It panics if i is out
// of range.
func (d *Dataset) Row(i int) []float64 {
	if i < 0 || i >= d.Rows {
		panic("runtime: Dataset.Row: index out of range")
	}
	lo, hi := i*d.Cols, (i+1)*d.Cols
	return d.X[lo:hi:hi]
}

// Binarize replaces every value x by 1 if x > threshold and by 0 otherwise.
func (d *Dataset) Binarize(threshold float64) {
	for i, v := range d.X {
		if v > threshold {
			d.X[i] = 1
		} else {
			d.X[i] = 0
		}
	}
}

// Split returns the first n rows and the remaining Rows − n rows as two
// datasets that share d's storage. n is clamped to [0, Rows].
func (d *Dataset) Split(n int) (head, tail *Dataset) {
	n = max(0, min(n, d.Rows))
	k := n * d.Cols
	head = &Dataset{Rows: n, Cols: d.Cols, X: d.X[:k:k]}
	tail = &Dataset{Rows: d.Rows - n, Cols: d.Cols, X: d.X[k : d.Rows*d.Cols]}
	return head, tail
}

// Gather copies rows idx[0], idx[1], … into consecutive rows of dst, which
// must hold at least len(idx)·Cols values. It does not allocate.
func (d *Dataset) Gather(dst []float64, idx []int) {
	c := d.Cols
	if len(dst) < len(idx)*c {
		panic("runtime: Dataset.Gather: dst too short")
	}
	for k, i := range idx {
		copy(dst[k*c:(k+1)*c], d.Row(i))
	}
}

// Standardize shifts and scales every column of d to mean 0 and standard
// deviation 1 (a constant column only to mean 0), as Gaussian visible units
// with unit variance expect, and returns the means and deviations so that
// samples can be mapped back: x = z·std + mean.
func (d *Dataset) Standardize() (mean, std []float64) { return d.StandardizeFloor(1e-12) }

// StandardizeFloor is Standardize with every standard deviation raised to at
// least minStd, so that nearly constant columns (the border pixels of an
// image) are not blown up.
func (d *Dataset) StandardizeFloor(minStd float64) (mean, std []float64) {
	mean, std = make([]float64, d.Cols), make([]float64, d.Cols)
	for r := 0; r < d.Rows; r++ {
		for c, v := range d.Row(r) {
			mean[c] += v
			std[c] += v * v
		}
	}
	n := float64(d.Rows)
	for c := range mean {
		mean[c] /= n
		std[c] = math.Sqrt(math.Max(std[c]/n-mean[c]*mean[c], 0))
		if std[c] < 1e-12 {
			std[c] = 1
		}
		std[c] = math.Max(std[c], minStd)
	}
	d.Shift(mean, std)
	return mean, std
}

// Shift replaces every value x of column c by (x − mean[c])/std[c]: the
// standardization of a training set applied to other data.
func (d *Dataset) Shift(mean, std []float64) {
	for r := 0; r < d.Rows; r++ {
		row := d.Row(r)
		for c := range row {
			row[c] = (row[c] - mean[c]) / std[c]
		}
	}
}
