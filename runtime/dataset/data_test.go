package dataset_test

import (
	"math"
	"slices"
	"testing"

	"github.com/ebmc/ebmc/runtime/dataset"
)

func TestDatasetRowSplitBinarizeGather(t *testing.T) {
	d := &dataset.Dataset{Rows: 3, Cols: 2, X: []float64{0.1, 0.9, 0.5, 0.6, 0.7, 0.2}}
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

func TestStandardize(t *testing.T) {
	d := &dataset.Dataset{Rows: 3, Cols: 2, X: []float64{1, 5, 2, 5, 3, 5}}
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
