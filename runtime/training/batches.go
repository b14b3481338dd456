package training

import "github.com/ebmc/ebmc/runtime"

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
	rng     runtime.RNG
}

// NewBatches returns an iterator over rows indices in batches of size rows
// (size ≤ 0 or size > rows means one batch of all rows). rng drives the
// shuffling and is copied.
func NewBatches(rows, size int, shuffle bool, rng runtime.RNG) *Batches {
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
func (b *Batches) restart(rng runtime.RNG) {
	for i := range b.perm {
		b.perm[i] = i
	}
	b.rng = rng
	b.fresh = true
}

// shuffleInts permutes x uniformly at random (Fisher–Yates).
func shuffleInts(r *runtime.RNG, x []int) {
	for i := len(x) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		x[i], x[j] = x[j], x[i]
	}
}
