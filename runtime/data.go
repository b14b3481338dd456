package runtime

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

// Batches iterates over the row indices 0 … rows−1 of a data set in
// minibatches of a fixed size (the last batch of an epoch may be smaller).
// When shuffling, it reorders the indices at the start of every epoch with
// a Fisher–Yates shuffle driven by its own RNG.
type Batches struct {
	perm    []int
	size    int
	pos     int
	shuffle bool
	fresh   bool // the next call to Next starts an epoch
	rng     RNG
}

// NewBatches returns an iterator over rows indices in batches of size rows
// (size ≤ 0 or size > rows means one batch of all rows). rng drives the
// shuffling and is copied.
func NewBatches(rows, size int, shuffle bool, rng RNG) *Batches {
	if rows < 0 {
		rows = 0
	}
	if size <= 0 || size > rows {
		size = rows
	}
	b := &Batches{perm: make([]int, rows), size: size, shuffle: shuffle, fresh: true, rng: rng}
	for i := range b.perm {
		b.perm[i] = i
	}
	return b
}

// Next returns the indices of the next batch. The slice is reused by later
// calls and must not be modified. At the end of an epoch Next returns
// (nil, false); the following call starts a new epoch. Next does not
// allocate.
func (b *Batches) Next() (idx []int, ok bool) {
	if b.fresh {
		b.fresh = false
		b.pos = 0
		if b.shuffle {
			shuffleInts(&b.rng, b.perm)
		}
	}
	if b.pos >= len(b.perm) {
		b.fresh = true
		return nil, false
	}
	end := min(b.pos+b.size, len(b.perm))
	idx = b.perm[b.pos:end:end]
	b.pos = end
	return idx, true
}

// Len returns the number of batches in an epoch.
func (b *Batches) Len() int {
	if b.size == 0 {
		return 0
	}
	return (len(b.perm) + b.size - 1) / b.size
}

// restart abandons the current epoch, resets the order to 0 … rows−1 and
// makes the next epoch shuffle it with rng. Fit uses one RNG stream per
// epoch so that the batches of an epoch depend only on the seed and the
// epoch number, and a resumed run reproduces them.
func (b *Batches) restart(rng RNG) {
	for i := range b.perm {
		b.perm[i] = i
	}
	b.rng = rng
	b.fresh = true
}

// shuffleInts permutes x uniformly at random (Fisher–Yates).
func shuffleInts(r *RNG, x []int) {
	for i := len(x) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		x[i], x[j] = x[j], x[i]
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
