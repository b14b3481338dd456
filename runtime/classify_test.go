package runtime_test

import (
	"math"
	"testing"

	"github.com/ebmc/ebmc/internal/gentest/classrbm"
	"github.com/ebmc/ebmc/runtime"
)

// TestClassProbsBatches: rows classified together, in several batches of
// chains, get the probabilities each row gets alone, which are those of
// the free energies with each label in turn.
func TestClassProbsBatches(t *testing.T) {
	m := classrbm.NewClassRBM(1).Reflect()
	perturb(m, 1, 2)
	const rows, k = 700, classrbm.ClassRBMNY
	d := randomRows(m, rows, 3)
	pixels := &runtime.Dataset{Rows: rows, Cols: classrbm.ClassRBMNV, X: make([]float64, rows*classrbm.ClassRBMNV)}
	for r := range rows {
		copy(pixels.Row(r), d.Row(r)[:classrbm.ClassRBMNV])
	}
	all, err := runtime.ClassProbs(m, "y", pixels)
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
		m.FreeEnergy(x, runtime.VisibleFreeEnergy(m), 1, f)
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
