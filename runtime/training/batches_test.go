package training

import (
	"slices"
	"testing"

	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/internal/stats"
)

func TestBatchesCoverEveryRow(t *testing.T) {
	for _, c := range []struct {
		rows, size int
		shuffle    bool
		batches    int
	}{
		{10, 3, true, 4}, {10, 5, true, 2}, {10, 5, false, 2}, {7, 1, true, 7},
		{7, 100, true, 1}, {7, 0, false, 1}, {1, 1, true, 1}, {1000, 64, true, 16},
	} {
		b := NewBatches(c.rows, c.size, c.shuffle, runtime.NewRNG(1, 2))
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
	b := NewBatches(rows, 2, true, runtime.NewRNG(3, 3))
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
	if x2, crit := stats.ChiSquare(counts, expected), stats.ChiSquareCritical(rows-1); x2 > crit {
		t.Errorf("first index counts %v: χ² = %.2f exceeds %.2f", counts, x2, crit)
	}
}

func TestBatchesNoAllocs(t *testing.T) {
	b := NewBatches(1000, 32, true, runtime.NewRNG(1, 1))
	if a := testing.AllocsPerRun(2000, func() { b.Next() }); a != 0 {
		t.Errorf("Batches.Next allocates %v times", a)
	}
}
