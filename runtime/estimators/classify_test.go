package estimators_test

import (
	"math"
	"strings"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/runtime"
	"github.com/ebmc/ebmc/runtime/dataset"
	"github.com/ebmc/ebmc/runtime/estimators"
	"github.com/ebmc/ebmc/runtime/internal/modeltest"
)

// TestClassProbsBatches: rows classified together, in several batches of
// chains, get the probabilities each row gets alone, which are those of
// the free energies with each label in turn.
func TestClassProbsBatches(t *testing.T) {
	m := classrbm.NewClassRBM(1).Reflect()
	modeltest.Perturb(m, 1, 2)
	const rows, k = 700, classrbm.ClassRBMNY
	d := modeltest.RandomRows(m, rows, 3)
	pixels := &dataset.Dataset{Rows: rows, Cols: classrbm.ClassRBMNV, X: make([]float64, rows*classrbm.ClassRBMNV)}
	for r := range rows {
		copy(pixels.Row(r), d.Row(r)[:classrbm.ClassRBMNV])
	}
	all, err := estimators.ClassProbs(m, "y", pixels)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < rows; r += 37 {
		x := m.NewChains(k, 0)
		f := make([]float64, k)
		for c := range k {
			copy(x.Layers()[0].Data[c*classrbm.ClassRBMNV:], pixels.Row(r))
			y := x.Layers()[1].Data[c*k : (c+1)*k]
			clear(y)
			y[c] = 1
		}
		m.FreeEnergy(x, estimators.VisibleFreeEnergy(m), 1, f)
		for c := range f {
			f[c] = -f[c]
		}
		runtime.Softmax(f, f)
		for c := range k {
			if got := all[r*k+c]; math.Abs(got-f[c]) > 1e-12 {
				t.Fatalf("row %d: p(y=%d | x) = %.15g in a batch, %.15g alone", r, c, got, f[c])
			}
		}
	}
}

func TestAccuracy(t *testing.T) {
	for _, c := range []struct {
		name   string
		probs  []float64
		labels []int
		want   float64
		err    string // a part of the error, "" for none
	}{
		{"half right", []float64{0.1, 0.9, 0.8, 0.2}, []int{1, 1}, 0.5, ""},
		{"all right", []float64{0.2, 0.3, 0.5, 0.6, 0.3, 0.1}, []int{2, 0}, 1, ""},
		{"one class", []float64{1, 1, 1}, []int{0, 0, 0}, 1, ""},
		{"nan row", []float64{math.NaN(), 0.5, 0.3, 0.7}, []int{1, 1}, 0.5, ""},
		{"empty", nil, nil, 0, "accuracy: no labels; pass one label per row of probs"},
		{"no probabilities", nil, []int{0}, 0, "0 probabilities do not make 1 rows"},
		{"misaligned", make([]float64, 5), []int{0, 1}, 0, "5 probabilities do not make 2 rows of the same number of classes"},
		{"fewer probabilities than labels", make([]float64, 2), []int{0, 0, 0}, 0, "2 probabilities do not make 3 rows"},
		{"label too large", []float64{0.1, 0.9, 0.8, 0.2}, []int{0, 2}, 0, "label 2 of row 1 is not one of the 2 classes 0 … 1"},
		{"negative label", []float64{0.1, 0.9}, []int{-1}, 0, "label -1 of row 0 is not one of the 2 classes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := estimators.Accuracy(c.probs, c.labels)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("error %v, want it to contain %q", err, c.err)
			case got != c.want:
				t.Errorf("accuracy %v, want %v", got, c.want)
			}
		})
	}
}

// TestClassProbsBatchIndependent: a row's probabilities are the same bits
// whichever rows share its batch of chains (the rows shifted by 13, so
// that every batch holds other rows and ends elsewhere), so the
// batch's size sets only the memory ClassProbs takes. A flipped pixel
// changes its row (the negative control).
func TestClassProbsBatchIndependent(t *testing.T) {
	m := classrbm.NewClassRBM(1).Reflect()
	modeltest.Perturb(m, 1, 2)
	const rows, k, nv = 700, classrbm.ClassRBMNY, classrbm.ClassRBMNV
	d := modeltest.RandomRows(m, rows, 3)
	pixels := &dataset.Dataset{Rows: rows, Cols: nv, X: make([]float64, rows*nv)}
	for r := range rows {
		copy(pixels.Row(r), d.Row(r)[:nv])
	}
	all, err := estimators.ClassProbs(m, "y", pixels)
	if err != nil {
		t.Fatal(err)
	}
	const shift = 13
	_, tail := pixels.Split(shift)
	flipped := &dataset.Dataset{Rows: tail.Rows, Cols: nv, X: append([]float64(nil), tail.X...)}
	flipped.X[100*nv+5] = 1 - flipped.X[100*nv+5]
	for _, c := range []struct {
		name string
		data *dataset.Dataset
		same bool
	}{
		{"shifted", tail, true},
		{"flipped pixel", flipped, false},
	} {
		got, err := estimators.ClassProbs(m, "y", c.data)
		if err != nil {
			t.Fatal(err)
		}
		want := all[shift*k : (shift+c.data.Rows)*k]
		same := true
		for i := range got {
			same = same && got[i] == want[i]
		}
		if same != c.same {
			t.Errorf("%s: the same bits as in the whole data set: %v, want %v", c.name, same, c.same)
		}
	}
}
