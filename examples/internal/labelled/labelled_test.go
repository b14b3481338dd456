package labelled

import (
	"strings"
	"testing"

	"github.com/ebmc/ebmc/runtime/dataset"
)

func TestLabels(t *testing.T) {
	got, err := Labels(&dataset.Dataset{Rows: 3, Cols: 1, X: []float64{2, 0, 9}}, 10)
	if err != nil || got[0] != 2 || got[1] != 0 || got[2] != 9 {
		t.Fatalf("Labels = %v, %v", got, err)
	}
	for _, c := range []struct {
		d    *dataset.Dataset
		want string
	}{
		{&dataset.Dataset{Rows: 1, Cols: 2, X: []float64{1, 2}}, "2 columns"},
		{&dataset.Dataset{Rows: 1, Cols: 1, X: []float64{10}}, "not a class 0…9"},
		{&dataset.Dataset{Rows: 1, Cols: 1, X: []float64{1.5}}, "not a class"},
	} {
		if _, err := Labels(c.d, 10); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

// Each class of shapes has its own mean image: a classifier has something to learn.
func TestShapesClassesDiffer(t *testing.T) {
	d, labels := Shapes(400, 1)
	mean := make([][]float64, 4)
	for k := range mean {
		mean[k] = make([]float64, d.Cols)
	}
	for r, k := range labels {
		for i, v := range d.Row(r) {
			mean[k][i] += v / 100
		}
	}
	for a := range 4 {
		for b := a + 1; b < 4; b++ {
			dist := 0.0
			for i := range mean[a] {
				dist += (mean[a][i] - mean[b][i]) * (mean[a][i] - mean[b][i])
			}
			if dist < 0.5 {
				t.Errorf("classes %d and %d have mean images only %.3f apart", a, b, dist)
			}
		}
	}
}
