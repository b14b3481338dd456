package runtime

import (
	"math"
	"slices"
	"testing"
)

func TestDatasetRowSplitBinarizeGather(t *testing.T) {
	d := &Dataset{Rows: 3, Cols: 2, X: []float64{0.1, 0.9, 0.5, 0.6, 0.7, 0.2}}
	if got := d.Row(1); !slices.Equal(got, []float64{0.5, 0.6}) || cap(got) != 2 {
		t.Errorf("Row(1) = %v (cap %d)", got, cap(got))
	}
	dst := make([]float64, 6)
	d.Gather(dst, []int{2, 0, 2})
	if want := []float64{0.7, 0.2, 0.1, 0.9, 0.7, 0.2}; !slices.Equal(dst, want) {
		t.Errorf("Gather = %v, want %v", dst, want)
	}
	for _, c := range []struct {
		n, head, tail int
	}{{0, 0, 3}, {1, 1, 2}, {3, 3, 0}, {-2, 0, 3}, {9, 3, 0}} {
		h, tl := d.Split(c.n)
		if h.Rows != c.head || tl.Rows != c.tail || len(h.X) != c.head*2 || len(tl.X) != c.tail*2 {
			t.Errorf("Split(%d) = %d+%d rows (%d+%d values), want %d+%d", c.n, h.Rows, tl.Rows, len(h.X), len(tl.X), c.head, c.tail)
		}
	}
	h, tl := d.Split(1)
	if tl.Row(0)[0] != 0.5 || h.Row(0)[1] != 0.9 {
		t.Errorf("Split views wrong: head %v tail %v", h.X, tl.X)
	}
	d.Binarize(0.5)
	if want := []float64{0, 1, 0, 1, 1, 0}; !slices.Equal(d.X, want) {
		t.Errorf("Binarize(0.5) = %v, want %v", d.X, want)
	}
	if a := testing.AllocsPerRun(100, func() { d.Gather(dst, []int{1, 2}) }); a != 0 {
		t.Errorf("Gather allocates %v times", a)
	}
}

func TestBatchesCoverEveryRow(t *testing.T) {
	for _, c := range []struct {
		rows, size int
		shuffle    bool
		batches    int
	}{
		{10, 3, true, 4}, {10, 5, true, 2}, {10, 5, false, 2}, {7, 1, true, 7},
		{7, 100, true, 1}, {7, 0, false, 1}, {1, 1, true, 1}, {1000, 64, true, 16},
	} {
		b := NewBatches(c.rows, c.size, c.shuffle, NewRNG(1, 2))
		if b.Len() != c.batches {
			t.Errorf("rows=%d size=%d: Len() = %d, want %d", c.rows, c.size, b.Len(), c.batches)
		}
		var orders [][]int
		for epoch := range 3 {
			var order []int
			nb := 0
			for {
				idx, ok := b.Next()
				if !ok {
					break
				}
				nb++
				order = append(order, idx...)
			}
			if nb != c.batches {
				t.Errorf("rows=%d size=%d epoch %d: %d batches, want %d", c.rows, c.size, epoch, nb, c.batches)
			}
			sorted := slices.Sorted(slices.Values(order))
			for i, v := range sorted {
				if v != i {
					t.Fatalf("rows=%d size=%d epoch %d: indices %v are not a permutation", c.rows, c.size, epoch, order)
				}
			}
			if len(sorted) != c.rows {
				t.Fatalf("rows=%d: epoch %d has %d indices", c.rows, epoch, len(sorted))
			}
			if !c.shuffle && !slices.Equal(order, sorted) {
				t.Errorf("rows=%d: unshuffled epoch %d in order %v", c.rows, epoch, order)
			}
			orders = append(orders, order)
		}
		if c.shuffle && c.rows >= 7 {
			if slices.Equal(orders[0], orders[1]) || slices.Equal(orders[1], orders[2]) {
				t.Errorf("rows=%d size=%d: two epochs have the same order", c.rows, c.size)
			}
			if slices.IsSorted(orders[0]) {
				t.Errorf("rows=%d size=%d: shuffled epoch is sorted", c.rows, c.size)
			}
		}
	}
}

func TestBatchesShuffleUniform(t *testing.T) {
	// The first index of an epoch is uniform over the rows.
	const rows, epochs = 5, 50000
	b := NewBatches(rows, 2, true, NewRNG(3, 3))
	counts := make([]int, rows)
	expected := make([]float64, rows)
	for i := range expected {
		expected[i] = float64(epochs) / rows
	}
	for range epochs {
		idx, _ := b.Next()
		counts[idx[0]]++
		for {
			if _, ok := b.Next(); !ok {
				break
			}
		}
	}
	if x2, crit := chiSquare(counts, expected), chiSquareCritical(rows-1); x2 > crit {
		t.Errorf("first index counts %v: χ² = %.2f exceeds %.2f", counts, x2, crit)
	}
}

func TestBatchesNoAllocs(t *testing.T) {
	b := NewBatches(1000, 32, true, NewRNG(1, 1))
	if a := testing.AllocsPerRun(2000, func() { b.Next() }); a != 0 {
		t.Errorf("Batches.Next allocates %v times", a)
	}
}

func TestStandardize(t *testing.T) {
	d := &Dataset{Rows: 3, Cols: 2, X: []float64{1, 5, 2, 5, 3, 5}}
	mean, std := d.Standardize()
	if mean[0] != 2 || mean[1] != 5 || math.Abs(std[0]-math.Sqrt(2.0/3)) > 1e-15 || std[1] != 1 {
		t.Fatalf("mean %v, std %v", mean, std)
	}
	want := []float64{-math.Sqrt(1.5), 0, 0, 0, math.Sqrt(1.5), 0}
	for i, v := range d.X {
		if math.Abs(v-want[i]) > 1e-12 {
			t.Fatalf("standardized %v, want %v", d.X, want)
		}
	}
}
